"""`docclean faces` on a tiny, self-written slice of faces: train, eval, reconstruct, denoise, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from training.suite.faces_data import FILE_NAME, write_faces_mat

runner = CliRunner()


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: a second thread only adds waiting on a busy machine
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def faces_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5 people x 10 faces of noise around a per-person brightness: a slice shaped like the real file."""
    rng = np.random.default_rng(0)
    faces = np.concatenate([np.clip(rng.normal(60 + 30 * p, 20, (10, 64, 64)), 0, 255) for p in range(5)])
    folder = tmp_path_factory.mktemp("olivetti")
    write_faces_mat(folder / FILE_NAME, faces.astype(np.uint8))
    return folder


@pytest.fixture(scope="module")
def mask_run(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "mask"
    result = runner.invoke(app, ["faces", "train", "--out", str(out), "--noise", "mask", "--epochs", "1", "--code", "8",
                                 "--width", "4", "--width", "8", "--width", "8",
                                 "--test-people", "2", "--val-people", "1", "--data-dir", str(faces_dir),
                                 "--no-verify", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    return out


def test_train_writes_the_run_folder(mask_run: Path) -> None:
    for name in ("config.json", "metrics.csv", "best.safetensors", "last.safetensors", "loss.png",
                 "reconstructions.png"):
        assert (mask_run / name).stat().st_size > 0, name
    config = json.loads((mask_run / "config.json").read_text())
    assert config["arch"] == "faces-conv" and config["task"]["noise"] == "mask"
    assert len(config["people"]["test"]) == 2 and not set(config["people"]["test"]) & set(config["people"]["train"])


def test_eval_scores_unseen_people_against_the_noisy_input(mask_run: Path) -> None:
    result = runner.invoke(app, ["faces", "eval", str(mask_run)])
    assert result.exit_code == 0, result.output
    assert "unseen people" in result.output and "noisy input" in result.output
    scores = json.loads((mask_run / "eval.json").read_text())
    assert scores["test_faces"] == 20 and scores["input_mse"] > 0 and scores["test_psnr"] > 0


def test_eval_of_another_checkpoint_keeps_the_run_s_eval_json(mask_run: Path, tmp_path: Path) -> None:
    # eval.json describes the run's chosen model; scoring last.safetensors replaced it with last's figures.
    import shutil

    from docclean.checkpoint import load_model, save_model

    mask_run = Path(shutil.copytree(mask_run, tmp_path / "run"))
    model, meta = load_model(mask_run / "last.safetensors")  # a last epoch that is not the best one
    with torch.no_grad():
        for weight in model.parameters():
            weight.add_(0.05)
    save_model(model, mask_run / "last.safetensors", meta["arch"], meta["config"],
               {k: v for k, v in meta.items() if k not in ("arch", "config", "format")})
    assert runner.invoke(app, ["faces", "eval", str(mask_run)]).exit_code == 0
    record = (mask_run / "eval.json").read_text()
    last = runner.invoke(app, ["faces", "eval", str(mask_run / "last.safetensors")])
    assert last.exit_code == 0, last.output
    assert (mask_run / "eval.json").read_text() == record
    assert json.loads(record)["checkpoint"] == "best.safetensors"
    assert f"scores of this checkpoint: {mask_run / 'eval-last.json'}" in last.output
    assert json.loads((mask_run / "eval-last.json").read_text())["checkpoint"] == "last.safetensors"
    best = runner.invoke(app, ["faces", "eval", str(mask_run / "best.safetensors")])  # the run's own model, named
    assert best.exit_code == 0 and "scores of this checkpoint" not in best.output
    assert json.loads((mask_run / "eval.json").read_text())["checkpoint"] == "best.safetensors"


def test_eval_of_another_checkpoint_names_its_epoch_not_a_best_epoch(mask_run: Path, tmp_path: Path) -> None:
    # eval-last.json said "best_epoch" for last.safetensors' epoch, which is not the run's best epoch.
    import shutil

    from docclean.checkpoint import load_model, save_model

    mask_run = Path(shutil.copytree(mask_run, tmp_path / "run"))
    model, meta = load_model(mask_run / "last.safetensors")
    meta["epoch"] = 4  # a later epoch than the best one (epoch 0): counted from 1, epoch 5
    save_model(model, mask_run / "last.safetensors", meta["arch"], meta["config"],
               {k: v for k, v in meta.items() if k not in ("arch", "config", "format")})
    assert runner.invoke(app, ["faces", "eval", str(mask_run / "last.safetensors")]).exit_code == 0
    last = json.loads((mask_run / "eval-last.json").read_text())
    assert last["epoch"] == 5 and "best_epoch" not in last, last
    assert runner.invoke(app, ["faces", "eval", str(mask_run)]).exit_code == 0
    best = json.loads((mask_run / "eval.json").read_text())
    assert best["epoch"] == best["best_epoch"] == 1, best


def test_pictures(mask_run: Path, tmp_path: Path) -> None:
    clean = runner.invoke(app, ["faces", "reconstruct", str(mask_run), "-n", "3"])
    assert clean.exit_code == 0 and Path(clean.stdout.strip()) == mask_run / "reconstructions-clean.png"
    other = runner.invoke(app, ["faces", "denoise", str(mask_run), "--noise", "gaussian", "-o",
                                str(tmp_path / "d.png")])
    assert other.exit_code == 0 and (tmp_path / "d.png").stat().st_size > 0


def test_pictures_are_in_the_format_their_name_says_and_a_folder_gets_the_default_name(mask_run: Path,
                                                                                      tmp_path: Path) -> None:
    jpeg = runner.invoke(app, ["faces", "reconstruct", str(mask_run), "-n", "2", "-o", str(tmp_path / "r.jpg")])
    assert jpeg.exit_code == 0 and (tmp_path / "r.jpg").read_bytes()[:2] == b"\xff\xd8"
    folder = runner.invoke(app, ["faces", "reconstruct", str(mask_run), "-n", "2", "-o", str(tmp_path)])
    assert folder.exit_code == 0 and Path(folder.stdout.strip()) == tmp_path / "reconstructions-clean.png"
    for bad in (["-o", str(tmp_path / "r.txt")], ["-n", "101"]):
        refused = runner.invoke(app, ["faces", "reconstruct", str(mask_run), *bad])
        assert refused.exit_code == 2, refused.output
    assert not (tmp_path / "r.txt").exists()


def test_denoise_at_another_level_of_the_run_s_own_corruption(mask_run: Path, tmp_path: Path) -> None:
    # Without --noise the run's kind is used, at the level given (the level was dropped without a word).
    bad = runner.invoke(app, ["faces", "denoise", str(mask_run), "--noise-level", "2", "-o", str(tmp_path / "b.png")])
    assert bad.exit_code == 2 and not (tmp_path / "b.png").exists()
    ok = runner.invoke(app, ["faces", "denoise", str(mask_run), "--noise-level", "0.5", "-o", str(tmp_path / "h.png")])
    assert ok.exit_code == 0 and (tmp_path / "h.png").stat().st_size > 0


def test_errors(faces_dir: Path, tmp_path: Path) -> None:
    # A code longer than a face's 4096 pixels wrote gigabytes of checkpoints that were then refused.
    huge = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "r"), "--data-dir", str(faces_dir),
                               "--code", "100000"])
    assert huge.exit_code == 2 and not (tmp_path / "r").exists()
    missing = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "r"), "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and FILE_NAME in missing.output and missing.output.count("\n") == 1
    checked = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "r"), "--data-dir", str(faces_dir)])
    assert checked.exit_code == 1 and "SHA-256" in checked.output
    no_run = runner.invoke(app, ["faces", "eval", str(tmp_path / "nothing")])
    assert no_run.exit_code != 0 and "train it first" in no_run.output


def test_a_width_below_one_is_a_usage_error(faces_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "r"), "--width", "-4",
                                 "--data-dir", str(faces_dir), "--no-verify", "--device", "cpu"])
    assert result.exit_code == 2 and "--width" in result.output and "Traceback" not in result.output


def test_a_signal_stops_the_run_with_its_exit_code(faces_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    import training.stop

    class Stopped(training.stop.StopFlag):  # as if Ctrl-C came during the first batch
        def __call__(self) -> bool:
            self.set(signal.SIGINT)
            return True

    monkeypatch.setattr(training.stop, "StopFlag", Stopped)
    out = tmp_path / "r"
    args = ["faces", "train", "--out", str(out), "--epochs", "1", "--code", "8", "--width", "4", "--test-people",
            "2", "--val-people", "1", "--data-dir", str(faces_dir), "--no-verify", "--device", "cpu"]
    stopped = runner.invoke(app, [*args, "--no-resume"])
    assert stopped.exit_code == 130 and "rerun it without --no-resume to continue" in stopped.output


@pytest.mark.parametrize("seed", [str(2**64), "-1"])
def test_a_seed_outside_32_bits_is_a_usage_error_naming_the_range(faces_dir: Path, tmp_path: Path, seed: str) -> None:
    result = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "r"), "--seed", seed, "--epochs", "1",
                                 "--code", "8", "--width", "4", "--test-people", "2", "--val-people", "1",
                                 "--data-dir", str(faces_dir), "--no-verify", "--device", "cpu"])
    assert result.exit_code == 2 and "0<=x<=4294967295" in result.output, result.output
    assert "Overflow" not in result.output and not (tmp_path / "r").exists()


def test_fewer_test_faces_than_asked_are_said(mask_run: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["faces", "reconstruct", str(mask_run), "-n", "30", "-o", str(tmp_path / "r.png")])
    assert result.exit_code == 0, result.output  # drew 20 without a word
    assert "note: -n 30: the 2 test people have only 20 faces; drawing all 20" in result.output


def test_a_folder_given_for_the_data_is_not_told_to_be_given(faces_dir: Path, tmp_path: Path) -> None:
    args = ["faces", "train", "--out", str(tmp_path / "r"), "--epochs", "1", "--no-verify"]
    missing = runner.invoke(app, [*args, "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1 and missing.output == (f"error: {tmp_path / FILE_NAME}: Olivetti faces file is "
                                                         f"missing; put {FILE_NAME} in {tmp_path}\n")
    a_file = runner.invoke(app, [*args, "--data-dir", str(faces_dir / FILE_NAME)])  # "put it in .../FILE_NAME"
    assert a_file.exit_code == 1 and a_file.output == (f"error: {faces_dir / FILE_NAME}: a file, not a folder; give "
                                                       f"the folder that holds {FILE_NAME}\n")


def test_a_read_only_run_is_scored_with_a_warning(mask_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    import training.suite.faces_eval as faces_eval

    @contextmanager
    def read_only(path, suffix=".tmp"):
        raise PermissionError(13, "Permission denied", str(path.parent / f".{path.name}.x1y2.tmp"))
        yield

    monkeypatch.setattr(faces_eval, "atomic_path", read_only)
    result = runner.invoke(app, ["faces", "eval", str(mask_run)])
    assert result.exit_code == 0, result.output  # exit 1 on the temporary file, no score printed
    lines = result.output.splitlines()
    assert "test MSE" in lines[0] and lines[1] == (f"warning: {mask_run / 'eval.json'}: cannot save the scores "
                                                   "(Permission denied); they are printed above only")


def test_eval_runs_on_a_gpu_when_there_is_one_as_its_help_says(mask_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import training.suite.faces_eval as faces_eval

    asked = []
    monkeypatch.setattr(faces_eval, "load_faces_run", lambda run, device, *_: asked.append(device) or 1 / 0)
    runner.invoke(app, ["faces", "eval", str(mask_run)])
    assert asked == ["auto"]  # was cpu, under a help reading "auto (a GPU if there is one)"


def _as_trained_with_the_check(run: Path, target: Path) -> Path:
    """A copy of ``run``'s best checkpoint whose metadata says it was trained with the SHA-256 check on
    (as a run on the published file is); the self-written faces file then fails that check."""
    from docclean.checkpoint import load_model, save_model

    model, meta = load_model(run / "best.safetensors")
    meta["task"] = {**meta["task"], "verify": True}
    return save_model(model, target, meta["arch"], meta["config"],
                      {k: v for k, v in meta.items() if k not in ("arch", "config", "format")})


@pytest.mark.parametrize("command", [["eval"], ["reconstruct", "-n", "2"], ["denoise", "-n", "2"]])
def test_the_commands_that_read_a_run_take_verify_as_vae_s_do(mask_run: Path, tmp_path: Path,
                                                              command: list[str]) -> None:
    """Without --verify/--no-verify the run's own SHA-256 setting holds; --no-verify reads a copy of one's
    own for a run trained on the published file, --verify checks a run trained without the check (there
    was no such option)."""
    official = _as_trained_with_the_check(mask_run, tmp_path / "official.safetensors")
    out = [] if command[0] == "eval" else ["-o", str(tmp_path / "p.png")]
    argv = ["faces", command[0], str(official), *command[1:], *out]
    refused = runner.invoke(app, argv)
    assert refused.exit_code == 1 and "SHA-256" in refused.output and "--no-verify" in refused.output, refused.output
    accepted = runner.invoke(app, [*argv, "--no-verify"])
    assert accepted.exit_code == 0, accepted.output
    import shutil

    own_run = Path(shutil.copytree(mask_run, tmp_path / "own"))  # trained with --no-verify
    own = ["faces", command[0], str(own_run), *command[1:], *out]
    assert runner.invoke(app, own).exit_code == 0
    checked = runner.invoke(app, [*own, "--verify"])
    assert checked.exit_code == 1 and "SHA-256" in checked.output, checked.output



@pytest.mark.parametrize("command", [["reconstruct", "-n", "2"], ["denoise", "-n", "2"]])
def test_the_picture_commands_take_device_as_train_and_eval_do(mask_run: Path, faces_dir: Path, tmp_path: Path,
                                                               command: list[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """--device was on `faces train` and `faces eval` only: the pictures ran on the CPU whatever the
    machine had, and `--device cpu` was "No such option"."""
    helped = runner.invoke(app, ["faces", command[0], "--help"], env={"COLUMNS": "200"})
    assert "--device" in helped.output and "auto (a GPU if there is one), cpu, cuda or mps." in helped.output

    def invoke(device: str, picture: Path):
        return runner.invoke(app, ["faces", command[0], str(mask_run), *command[1:], "-o", str(picture),
                                   "--device", device])

    on_cpu = invoke("cpu", tmp_path / "cpu.png")
    assert on_cpu.exit_code == 0 and (tmp_path / "cpu.png").is_file(), on_cpu.output
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # this machine's answer, on any machine
    no_cuda = "error: device 'cuda' was asked for but torch sees no CUDA GPU; use cpu or auto\n"
    trained = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "run"), "--data-dir", str(faces_dir),
                                  "--no-verify", "--epochs", "1", "--test-people", "2", "--val-people", "1",
                                  "--device", "cuda"])
    evaluated = runner.invoke(app, ["faces", "eval", str(mask_run), "--device", "cuda"])
    refused = invoke("cuda", tmp_path / "cuda.png")
    assert [(r.exit_code, r.output) for r in (trained, evaluated, refused)] == [(2, no_cuda)] * 3
    assert not (tmp_path / "cuda.png").exists()
