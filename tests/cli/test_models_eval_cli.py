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
    assert bad.exit_code == 2 and bad.stdout == ""  # no list without the models asked for
    errors = bad.stderr.splitlines()  # every bad file is named, not only the first
    assert len(errors) == 2 and "no such model" in errors[0] and str(broken) in errors[1]
    named = CliRunner().invoke(app, ["models", "default"])  # a built-in named again is listed once
    assert named.exit_code == 0 and named.stdout.count("default (built-in)") == 1


def test_models_prints_nothing_but_the_error_for_a_file_that_is_no_model(tmp_path: Path) -> None:
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    state = save_model(net, tmp_path / "state.safetensors", "trainer-state", {})
    for bad, why in ((tmp_path / "nope.safetensors", "no such model file"), (tmp_path, "a folder, not a model file"),
                     (state, "optimizer state")):
        for json_flag in ([], ["--json"]):
            result = CliRunner().invoke(app, ["models", str(bad), *json_flag])
            assert result.exit_code == 2 and result.stdout == "", (bad, json_flag, result.stdout)
            assert result.stderr.startswith(f"error: {bad}: ") and why in result.stderr, result.stderr


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


def _strict(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_eval_names_pages_by_relative_path_and_stays_finite(tmp_path: Path, tiny_model_path: Path) -> None:
    clean = np.full((40, 48), 255, np.uint8)
    clean[10:14, 5:40] = 0
    for kind in ("noisy", "clean"):
        for name in ("a/p.png", "b/c/p.png"):  # one name in two folders; noisy == clean: raw PSNR was inf
            (tmp_path / kind / name).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(clean).save(tmp_path / kind / name)
    args = ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
            "--model", str(tiny_model_path), "--device", "cpu"]
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert sorted(line.split()[0] for line in lines[1:-1]) == ["a/p.png", "b/c/p.png"]
    assert "inf" not in text.stdout and lines[-1].split()[-3] == "100.00"  # the overall raw PSNR
    data = _strict(CliRunner().invoke(app, [*args, "--json"]).stdout)
    assert data["overall"]["raw_psnr"] == 100.0 and {p["name"] for p in data["pages"]} == {"a/p.png", "b/c/p.png"}


def test_eval_warns_of_files_left_out_in_the_words_of_docclean_train(tmp_path: Path, tiny_model_path: Path) -> None:
    page = np.full((40, 48), 255, np.uint8)
    page[10:14, 5:40] = 0
    for kind in ("noisy", "clean"):
        (tmp_path / kind).mkdir()
        Image.fromarray(page).save(tmp_path / kind / "ok.png")
        Image.fromarray(page).save(tmp_path / kind / "x.png")
        pages = 3 if kind == "noisy" else 2
        Image.fromarray(page).save(tmp_path / kind / "book.tif", save_all=True,
                                   append_images=[Image.fromarray(page)] * (pages - 1))
    Image.fromarray(page).save(tmp_path / "noisy" / "x.jpg")  # two scans named x: neither pairs with clean/x.png
    result = CliRunner().invoke(app, ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
                                      "--model", str(tiny_model_path), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "overall (1 page)" in result.stdout
    noisy, clean = tmp_path / "noisy", tmp_path / "clean"
    dup = "several noisy files share this name with different suffixes (x.jpg, x.png) (left out)"
    assert sorted(line for line in result.stderr.splitlines() if line.startswith("warning: ")) == sorted([
        f"warning: {noisy / 'book.tif'}: 3 pages but its clean file has 2 (left out)",
        f"warning: {noisy / 'x.jpg'}: {dup}", f"warning: {noisy / 'x.png'}: {dup}",
        f"warning: {clean / 'x.png'}: several noisy files share its name with different suffixes (x.jpg, x.png), "
        "so it pairs with none of them (left out)"])


def test_eval_refuses_a_mis_sized_pdf_pair(tmp_path: Path, tiny_model_path: Path) -> None:
    rng = np.random.default_rng(2)
    for kind in ("noisy", "clean"):
        (tmp_path / kind).mkdir()
    Image.fromarray(rng.integers(0, 256, (200, 256), dtype=np.uint8)).save(tmp_path / "noisy" / "a.pdf",
                                                                           resolution=100)
    Image.fromarray(rng.integers(0, 256, (100, 120), dtype=np.uint8)).save(tmp_path / "clean" / "a.png")
    result = CliRunner().invoke(app, ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
                                      "--model", str(tiny_model_path), "--device", "cpu"])
    assert result.exit_code == 1 and result.stdout == ""
    noisy, clean = tmp_path / "noisy" / "a.pdf", tmp_path / "clean" / "a.png"
    assert result.stderr.strip() == (f"error: 1 pair(s) cannot be used: {noisy}: page 1 is 256x200 but {clean} is "
                                     "120x100 (more than 4 pixels apart)")


def test_eval_warns_of_pages_the_model_was_trained_on_and_of_pairs_it_lined_up(tmp_path: Path) -> None:
    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    page = np.random.default_rng(3).integers(0, 256, (40, 48), dtype=np.uint8)
    for kind in ("noisy", "clean"):
        (tmp_path / kind).mkdir()
        for name in ("a", "b", "c"):
            Image.fromarray(page).save(tmp_path / kind / f"{name}.png")
    Image.fromarray(page[1:-1, 2:]).save(tmp_path / "clean" / "c.png")  # 2 px smaller both ways
    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    trained = [f"{tmp_path / 'noisy' / name}.png#0" for name in ("a", "b")] + ["elsewhere/x.png#0"]
    model = save_model(net, tmp_path / "m.safetensors", "docunet", net.config.to_dict(), {"train_pages": trained})
    result = CliRunner().invoke(app, ["eval", "--noisy", str(tmp_path / "noisy"), "--clean", str(tmp_path / "clean"),
                                      "--model", str(model), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: 2 of the 3 pages scored are among the 3 the model was trained on: their figures are no held-out "
        "scores",
        f"warning: {tmp_path / 'noisy' / 'c.png'}: page 1 is 48x40 but {tmp_path / 'clean' / 'c.png'} is 46x38; "
        "lined up where they match best (the clean page 2 px right and 1 px down over the scan), both cropped to "
        "46x38"]


def test_models_shows_each_resume_after_the_command_that_started_the_run(tmp_path: Path) -> None:
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    path = save_model(model, tmp_path / "best.safetensors", "docunet", model.config.to_dict(),
                      {"command": "docclean train --out r", "resumed": ["docclean train --resume r --lr 1e-4"]})
    result = CliRunner().invoke(app, ["models", str(path)])
    assert result.exit_code == 0, result.output
    assert ("  command       docclean train --out r\n  resumed       docclean train --resume r --lr 1e-4\n"
            in result.stdout)
    described = json.loads(CliRunner().invoke(app, ["models", str(path), "--json"]).stdout)
    assert described[-1]["resumed"] == ["docclean train --resume r --lr 1e-4"]
