"""``docclean models`` and ``docclean eval`` through the CLI."""

import json
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from cli.main import app


def test_models_lists_builtin_and_given_files(tiny_model_path: Path) -> None:
    result = CliRunner().invoke(app, ["models", str(tiny_model_path)])
    assert result.exit_code == 0, result.output
    assert "default (built-in)" in result.stdout and str(tiny_model_path) in result.stdout
    as_json = json.loads(CliRunner().invoke(app, ["models", str(tiny_model_path), "--json"]).stdout)
    tiny = as_json[-1]
    assert tiny["arch"] == "docunet" and tiny["parameters"] > 0 and tiny["builtin"] is False
    assert as_json[0]["name"] == "default" and as_json[0]["val_metrics"]
    missing, broken = tiny_model_path.parent / "missing.safetensors", tiny_model_path.parent / "broken.safetensors"
    broken.write_bytes(b"not a model")
    bad = CliRunner().invoke(app, ["models", str(missing), str(tiny_model_path), str(broken)])
    assert bad.exit_code == 2 and str(tiny_model_path) in bad.stdout  # the good file is still described
    errors = bad.stderr.splitlines()
    assert len(errors) == 2 and "no such model" in errors[0] and str(broken) in errors[1]
    named = CliRunner().invoke(app, ["models", "default"])  # a built-in named again is listed once
    assert named.exit_code == 0 and named.stdout.count("default (built-in)") == 1


def test_eval_scores_pages_beside_the_raw_ones(tmp_path: Path, tiny_model_path: Path) -> None:
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        clean = np.full((40, 48), 255, np.uint8)
        clean[10:14, 5:40] = 0
        noisy = np.clip(clean.astype(int) - rng.integers(0, 60, clean.shape), 0, 255).astype(np.uint8)
        for kind, pixels in (("noisy", noisy), ("clean", clean)):
            (tmp_path / kind).mkdir(exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / kind / f"{name}.png")
    args = ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
            "--model", str(tiny_model_path), "--device", "cpu"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    assert "overall (2 pages)" in text.stdout and "a.png" in text.stdout
    data = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert data["overall"]["pages"] == 2 and len(data["pages"]) == 2
    assert 0 < data["overall"]["raw_rmse"] < 1 and {"rmse", "psnr", "ssim"} <= set(data["pages"][0])


def test_eval_numbers_every_page_of_a_multi_page_file(tmp_path: Path, tiny_model_path: Path) -> None:
    clean = np.full((40, 48), 255, np.uint8)
    clean[10:14, 5:40] = 0
    for kind in ("noisy", "clean"):
        (tmp_path / kind).mkdir()
        pages = [Image.fromarray(clean), Image.fromarray(clean)]
        pages[0].save(tmp_path / kind / "doc.tif", save_all=True, append_images=pages[1:])
        Image.fromarray(clean).save(tmp_path / kind / "one.png")
    text = CliRunner().invoke(app, ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
                                    "--model", str(tiny_model_path), "--device", "cpu"])
    assert text.exit_code == 0, text.output
    names = [line.split()[0] for line in text.stdout.splitlines()[1:-1]]
    assert sorted(names) == ["doc.tif[1]", "doc.tif[2]", "one.png"]
