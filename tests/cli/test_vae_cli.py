"""`docclean vae`: train tiny VAEs on a tiny self-written Fashion-MNIST, then every picture command
and eval on the trained runs, plus the error paths (one line, exit 1; usage errors exit 2)."""

from __future__ import annotations

import csv
import gzip
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from docclean.errors import ModelError

MODEL_EXIT = getattr(ModelError, "exit_code", 1)  # the code errors.py documents for a bad model

runner = CliRunner()


def _write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX gz file in the official layout (magic, sizes, raw bytes)."""
    magic = 2051 if array.ndim == 3 else 2049
    header = struct.pack(">II", magic, len(array)) + b"".join(struct.pack(">I", s) for s in array.shape[1:])
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _fake_split(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Images whose bright rectangle sits where the class says, so classes differ visibly."""
    labels = np.arange(n) % 10
    images = rng.integers(0, 30, size=(n, 28, 28))
    for i, k in enumerate(labels):
        y, x = 2 + 2 * (k // 2), 2 + 3 * (k % 5)
        images[i, y:y + 12, x:x + 10] = 220
    return images, labels


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fashion-mnist")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 80), ("t10k", 30)):
        images, labels = _fake_split(n, rng)
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


def _train(out: Path, data_dir: Path, *extra: str):
    return runner.invoke(app, ["vae", "train", "--out", str(out), "--data-dir", str(data_dir), "--no-verify",
                               "--batch-size", "16", "--threads", "1", *extra])


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("runs") / "mlp"
    result = _train(out, data_dir, "--arch", "mlp", "--epochs", "2")
    assert result.exit_code == 0, result.output
    return out


def _png_from_output(stdout: str) -> Path:
    path = Path(stdout.strip().splitlines()[-1])
    assert path.exists() and path.suffix == ".png"
    with Image.open(path) as img:
        assert img.format == "PNG" and img.width > 50 and img.height > 50
    return path


def test_train_writes_the_run_folder(mlp_run: Path) -> None:
    for name in ("config.json", "metrics.csv", "loss.png", "best.safetensors", "last.safetensors"):
        assert (mlp_run / name).exists(), name
    with (mlp_run / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    assert {"train_loss", "train_recon", "train_kl", "val_loss", "val_recon", "val_kl"} <= set(rows[0])
    config = json.loads((mlp_run / "config.json").read_text())
    assert config["arch"] == "vae-mlp" and config["model_config"]["latent_dim"] == 2
    assert config["task_config"]["beta"] == 1.0 and config["task_config"]["verify"] is False


def test_eval_prints_negative_elbo(mlp_run: Path) -> None:
    result = runner.invoke(app, ["vae", "eval", str(mlp_run)])
    assert result.exit_code == 0, result.output
    assert "test negative ELBO" in result.stdout and "on 30 test images" in result.stdout
    match = re.search(r"ELBO ([\d.]+) nats per image \(reconstruction ([\d.]+), KL ([\d.]+)\)", result.stdout)
    assert match, result.stdout
    nelbo, recon, kl = (float(g) for g in match.groups())
    assert nelbo == pytest.approx(recon + kl, abs=0.02) and kl > 0


@pytest.mark.parametrize("args,name", [
    (["latent"], "latent.png"),
    (["manifold", "-n", "5"], "manifold.png"),
    (["sample", "-n", "9"], "samples.png"),
    (["interpolate", "{run}", "0", "7", "--steps", "4"], "interpolate-0-7.png"),
])
def test_picture_commands_write_pngs_into_the_run(mlp_run: Path, args: list[str], name: str) -> None:
    argv = [a.replace("{run}", str(mlp_run)) for a in args] if "{run}" in args else [args[0], str(mlp_run), *args[1:]]
    result = runner.invoke(app, ["vae", *argv])
    assert result.exit_code == 0, result.output
    assert _png_from_output(result.stdout) == mlp_run / name


def test_out_option_chooses_the_file(mlp_run: Path, tmp_path: Path) -> None:
    target = tmp_path / "pics" / "s.png"
    result = runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "4", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert _png_from_output(result.stdout) == target


def test_conv_run_with_wider_latent(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "conv"
    result = _train(out, data_dir, "--arch", "conv", "--latent-dim", "3", "--beta", "2", "--epochs", "1")
    assert result.exit_code == 0, result.output
    latent = runner.invoke(app, ["vae", "latent", str(out)])
    assert latent.exit_code == 0, latent.output
    _png_from_output(latent.stdout)
    manifold = runner.invoke(app, ["vae", "manifold", str(out)])
    assert manifold.exit_code == MODEL_EXIT
    assert manifold.output.count("\n") == 1 and "2-D latent space" in manifold.output


def test_the_same_seed_gives_the_same_run(tmp_path: Path, data_dir: Path) -> None:
    rows = []
    for name in ("a", "b"):
        result = _train(tmp_path / name, data_dir, "--arch", "mlp", "--epochs", "1", "--seed", "5")
        assert result.exit_code == 0, result.output
        lines = [line.split(",") for line in (tmp_path / name / "metrics.csv").read_text().splitlines()]
        timing = lines[0].index("epoch_seconds")  # the only figure that may differ
        rows.append([row[:timing] + row[timing + 1:] for row in lines])
    assert rows[0] == rows[1]


def test_resume_continues_an_interrupted_run(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "resumed"
    assert _train(out, data_dir, "--arch", "mlp", "--epochs", "1").exit_code == 0
    result = _train(out, data_dir, "--arch", "mlp", "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert "resuming at epoch 2" in result.output
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 1 + 2
    other = _train(out, data_dir, "--arch", "conv", "--epochs", "3")
    assert other.exit_code == MODEL_EXIT and "different model (arch differs" in other.output


def test_errors_exit_with_one_line(tmp_path: Path, data_dir: Path) -> None:
    missing = runner.invoke(app, ["vae", "manifold", str(tmp_path / "no-run")])
    assert missing.exit_code == MODEL_EXIT and missing.output.count("\n") == 1 and "not found" in missing.output
    no_data = runner.invoke(app, ["vae", "train", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path / "empty")])
    assert no_data.exit_code == 1 and "missing" in no_data.output and "train-images" in no_data.output
    checked = _train(tmp_path / "md5", data_dir, "--verify", "--epochs", "1")
    assert checked.exit_code == 1 and "MD5" in checked.output


def test_usage_errors_exit_2(mlp_run: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["vae", "train", "--out", str(tmp_path / "x"), "--arch", "rnn"]).exit_code == 2
    assert runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "0"]).exit_code == 2
    out_of_range = runner.invoke(app, ["vae", "interpolate", str(mlp_run), "0", "30"])
    assert out_of_range.exit_code == 2 and "out of range 0..29" in out_of_range.output


def _copy_split(source: Path, target: Path, prefix: str) -> Path:
    """``target`` holding only the two files of one split (``train`` or ``t10k``) of ``source``."""
    target.mkdir(parents=True, exist_ok=True)
    for kind in ("images-idx3", "labels-idx1"):
        name = f"{prefix}-{kind}-ubyte.gz"
        (target / name).write_bytes((source / name).read_bytes())
    return target


def test_eval_needs_only_the_test_files(mlp_run: Path, data_dir: Path, tmp_path: Path) -> None:
    """Evaluating reads the two test files alone: missing training files do not stop it."""
    test_only = _copy_split(data_dir, tmp_path / "test-only", "t10k")
    result = runner.invoke(app, ["vae", "eval", str(mlp_run), "--data-dir", str(test_only)])
    assert result.exit_code == 0, result.output
    assert "on 30 test images" in result.stdout


def test_missing_test_file_is_named_with_what_the_command_can_do(mlp_run: Path, data_dir: Path, tmp_path: Path) -> None:
    """The error names the test file that is missing (not a training file) and suggests what the
    command can do: --download (every command that reads Fashion-MNIST has it) or --data-dir."""
    train_only = _copy_split(data_dir, tmp_path / "train-only", "train")
    for command in (["eval", str(mlp_run)], ["latent", str(mlp_run)], ["interpolate", str(mlp_run), "0", "1"]):
        result = runner.invoke(app, ["vae", *command, "--data-dir", str(train_only)])
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and result.output.startswith("error: ")
        assert str(train_only / "t10k-images-idx3-ubyte.gz") in result.output and "missing" in result.output
        assert "train-images" not in result.output
        assert "--download" in result.output and "--data-dir" in result.output


@pytest.mark.parametrize("args,name,fmt", [
    (["sample", "{run}", "-n", "4"], "s.jpg", "JPEG"),
    (["interpolate", "{run}", "0", "1", "--steps", "3"], "i.JPEG", "JPEG"),
    (["manifold", "{run}", "-n", "3"], "m.pdf", "PDF"),
    (["latent", "{run}"], "l.svg", "SVG"),
])
def test_pictures_are_written_in_the_format_their_name_says(mlp_run: Path, tmp_path: Path, args: list[str],
                                                            name: str, fmt: str) -> None:
    target = tmp_path / name
    argv = [a.replace("{run}", str(mlp_run)) for a in args]
    result = runner.invoke(app, ["vae", *argv, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert Path(result.stdout.strip()) == target
    head = target.read_bytes()[:400]
    if fmt == "PDF":
        assert head.startswith(b"%PDF")
    elif fmt == "SVG":
        assert b"<svg" in head
    else:
        with Image.open(target) as img:
            assert img.format == fmt and img.width > 50


@pytest.mark.parametrize("name", ["s.txt", "s.gif", "samples"])
def test_a_picture_name_with_another_ending_is_a_usage_error(mlp_run: Path, tmp_path: Path, name: str) -> None:
    """Refused up front, in one line naming the file and the endings we write; nothing is written."""
    target = tmp_path / name
    result = runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "4", "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("error: --out: ")
    assert str(target) in result.output and ".png, .jpg, .jpeg, .svg, .pdf" in result.output
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_a_folder_as_out_gets_the_default_name_inside(mlp_run: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``-o FOLDER`` (``-o .`` too) writes the command's usual file name inside the folder, and
    prints that name, never a temporary one."""
    result = runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "4", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert _png_from_output(result.stdout) == tmp_path / "samples.png"
    monkeypatch.chdir(tmp_path)
    here = runner.invoke(app, ["vae", "manifold", str(mlp_run), "-n", "3", "-o", "."])
    assert here.exit_code == 0, here.output
    assert here.stdout.strip() == "manifold.png" and (tmp_path / "manifold.png").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifold.png", "samples.png"]  # no temporary left


@pytest.mark.parametrize("args,bound", [
    (["sample", "{run}", "-n", "1025"], "1<=x<=1024"),
    (["manifold", "{run}", "-n", "41"], "2<=x<=40"),
    (["interpolate", "{run}", "0", "1", "--steps", "51"], "2<=x<=50"),
])
def test_picture_sizes_are_bounded(mlp_run: Path, tmp_path: Path, args: list[str], bound: str) -> None:
    """A count beyond the bound is a usage error (exit 2) that says the range, and nothing is drawn;
    --help says the range too."""
    argv = [a.replace("{run}", str(mlp_run)) for a in args]
    result = runner.invoke(app, ["vae", *argv, "-o", str(tmp_path / "p.png")])
    assert result.exit_code == 2, result.output
    assert bound in result.output and not (tmp_path / "p.png").exists()
    helped = runner.invoke(app, ["vae", argv[0], "--help"], env={"COLUMNS": "200"})
    assert bound in helped.output


SEED_RANGE = "0<=x<=4294967295"


@pytest.mark.parametrize("command", [["train", "--out", "{tmp}/r"], ["eval", "{run}"], ["sample", "{run}"]])
@pytest.mark.parametrize("seed", [str(2**64), "99999999999999999999999", "-1", "4294967296"])
def test_seeds_beyond_32_bits_are_usage_errors(mlp_run: Path, tmp_path: Path, command: list[str], seed: str) -> None:
    argv = [a.replace("{run}", str(mlp_run)).replace("{tmp}", str(tmp_path)) for a in command]
    result = runner.invoke(app, ["vae", *argv, "--seed", seed])
    assert result.exit_code == 2, result.output
    assert SEED_RANGE in result.output and "Overflow" not in result.output
    helped = runner.invoke(app, ["vae", argv[0], "--help"], env={"COLUMNS": "200"})
    assert "0 to 4294967295" in helped.output


def test_the_largest_seed_works(mlp_run: Path, tmp_path: Path) -> None:
    sample = runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "4", "--seed", "4294967295",
                                 "-o", str(tmp_path / "s.png")])
    assert sample.exit_code == 0, sample.output
    evaluated = runner.invoke(app, ["vae", "eval", str(mlp_run), "--seed", "4294967295"])
    assert evaluated.exit_code == 0, evaluated.output


def _as_trained_on_official_files(run: Path, data_dir: Path, target: Path) -> Path:
    """A copy of ``run``'s best checkpoint whose metadata says it was trained with the MD5 check on
    (as a run on the official files is); ``data_dir``'s self-written files then fail that check."""
    from docclean.checkpoint import load_model, save_model

    model, meta = load_model(run / "best.safetensors")
    meta["task_config"] = {**meta["task_config"], "verify": True, "data_dir": str(data_dir)}
    return save_model(model, target, meta["arch"], meta["config"],
                      {k: v for k, v in meta.items() if k not in ("arch", "config", "format")})


@pytest.mark.parametrize("command", [["eval"], ["latent"], ["interpolate", "0", "1", "--steps", "2"]])
def test_no_verify_scores_a_run_on_a_private_copy_of_the_test_file(mlp_run: Path, data_dir: Path, tmp_path: Path,
                                                                   command: list[str]) -> None:
    """A run trained on the official files checks their MD5 when it reads the test file; a copy of
    one's own (here: self-written files) is refused as not official unless --no-verify is given."""
    official = _as_trained_on_official_files(mlp_run, data_dir, tmp_path / "official.safetensors")
    argv = ["vae", command[0], str(official), *command[1:]]
    refused = runner.invoke(app, argv)
    assert refused.exit_code == 1 and "MD5" in refused.output and "t10k-images" in refused.output, refused.output
    accepted = runner.invoke(app, [*argv, "--no-verify"])
    assert accepted.exit_code == 0, accepted.output
    helped = runner.invoke(app, ["vae", command[0], "--help"], env={"COLUMNS": "200"})
    assert "--no-verify" in helped.output and "Check the data files' official MD5 (--no-verify for own copies)." \
        in helped.output


def test_verify_checks_the_test_file_of_a_run_trained_without_the_check(mlp_run: Path) -> None:
    """Without --verify/--no-verify the run's own setting holds (mlp_run was trained with --no-verify,
    so its self-written test file passes); --verify checks anyway."""
    assert runner.invoke(app, ["vae", "eval", str(mlp_run)]).exit_code == 0
    checked = runner.invoke(app, ["vae", "eval", str(mlp_run), "--verify"])
    assert checked.exit_code == 1 and "MD5" in checked.output, checked.output


def test_a_file_where_a_folder_should_be_is_one_line(mlp_run: Path, data_dir: Path, tmp_path: Path) -> None:
    # Both said "error: [Errno 17] File exists: ...".
    afile = tmp_path / "afile"
    afile.write_text("hi")
    picture = runner.invoke(app, ["vae", "sample", str(mlp_run), "-n", "4", "-o", str(afile / "x.png")])
    assert picture.exit_code == 2 and picture.output == (f"error: --out: {afile}: a file, not a folder: the picture "
                                                         "cannot go inside it\n")
    run = _train(afile, data_dir, "--epochs", "1")
    assert run.exit_code == 2 and run.output == f"error: --out: {afile}: not a folder; give a new or empty folder " \
        "for the run\n"
    assert afile.read_text() == "hi"


def test_no_resume_does_not_replace_a_run_of_the_other_network(mlp_run: Path, data_dir: Path) -> None:
    config = (mlp_run / "config.json").read_text()
    conv = _train(mlp_run, data_dir, "--arch", "conv", "--no-resume", "--epochs", "1")
    assert conv.exit_code == 2 and "cannot start over: the run folder holds a different model ('vae-mlp', not " \
        "'vae-conv'); choose another --out" in conv.output
    assert (mlp_run / "config.json").read_text() == config


def test_train_prints_its_reconstructions_as_the_other_train_commands_do(mlp_run: Path, data_dir: Path) -> None:
    result = _train(mlp_run, data_dir, "--arch", "mlp", "--epochs", "2")  # done: prints and draws again
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(mlp_run / "reconstructions.png")  # was loss.png


@pytest.mark.parametrize("command", [["eval"], ["latent"], ["interpolate", "0", "1", "--steps", "2"]])
def test_the_commands_that_read_a_run_take_download_as_fashion_s_do(mlp_run: Path, data_dir: Path, tmp_path: Path,
                                                                    command: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """--download fetches the missing test files (only those); without it nothing is fetched."""
    import shutil

    import training.suite.fashion_data as fashion_data

    fetched: list[str] = []

    def fake_download(name: str, folder: Path, base_url: str = "", md5: str | None = None) -> Path:
        fetched.append(name)
        return Path(shutil.copy(data_dir / name, folder / name))

    monkeypatch.setattr(fashion_data, "download_file", fake_download)
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["vae", command[0], str(mlp_run), *command[1:], "--data-dir", str(empty), "-o", str(tmp_path / "p.png")]
    argv = argv[:-2] if command[0] == "eval" else argv
    not_asked = runner.invoke(app, [*argv, "--no-download"])
    assert not_asked.exit_code == 1 and "--download" in not_asked.output and not fetched, not_asked.output
    asked = runner.invoke(app, [*argv, "--download"])  # "No such option: --download"
    assert asked.exit_code == 0, asked.output
    assert sorted(fetched) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]



NO_CUDA = "error: device 'cuda' was asked for but torch sees no CUDA GPU; use cpu or auto\n"
"""What `vae train --device cuda` says on a machine without a CUDA GPU (one line, exit 2)."""


@pytest.mark.parametrize("command", [["eval"], ["latent"], ["manifold", "-n", "3"], ["sample", "-n", "4"],
                                     ["interpolate", "0", "1", "--steps", "2"]])
def test_the_commands_that_read_a_run_take_device_as_train_does(mlp_run: Path, data_dir: Path, tmp_path: Path,
                                                                command: list[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """--device was on `vae train` only: eval and the pictures ran on the CPU whatever the machine had,
    and `--device cpu` was "No such option"."""
    import torch

    helped = runner.invoke(app, ["vae", command[0], "--help"], env={"COLUMNS": "200"})
    assert "--device" in helped.output and "auto (a GPU if there is one), cpu, cuda or mps." in helped.output

    def invoke(device: str, pictures: Path):
        out = [] if command[0] == "eval" else ["-o", str(pictures)]
        return runner.invoke(app, ["vae", command[0], str(mlp_run), *command[1:], *out, "--device", device])

    on_cpu = invoke("cpu", tmp_path / "cpu.png")
    assert on_cpu.exit_code == 0 and (command[0] == "eval" or (tmp_path / "cpu.png").is_file()), on_cpu.output
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's answer, on any machine
    trained = _train(tmp_path / "run", data_dir, "--epochs", "1", "--device", "cuda")
    assert (trained.exit_code, trained.output) == (2, NO_CUDA)
    refused = invoke("cuda", tmp_path / "cuda.png")
    assert (refused.exit_code, refused.output) == (2, NO_CUDA)
    assert not (tmp_path / "cuda.png").exists()
