"""``docclean train`` on tiny pairs: a run folder with everything promised, bad pairs named before
training, and an interrupted run that resumes to exactly where an uninterrupted one ends."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import load_file
from typer.testing import CliRunner

from cli.main import app
from docclean.checkpoint import read_metadata

runner = CliRunner()


def make_pairs(root: Path, texts: int = 3, scans: int = 2, size: int = 72) -> None:
    rng = np.random.default_rng(0)
    for t in range(texts):
        clean = np.full((size, size), 255, np.uint8)
        for _ in range(6):
            y, x = rng.integers(4, size - 10, 2)
            clean[y:y + 6, x:x + 2] = 20
        for v in range(scans):
            noisy = (clean * 0.75 + rng.integers(0, 50, clean.shape)).astype(np.uint8)
            for folder, img in (("noisy", noisy), ("clean", clean)):
                (root / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(root / folder / f"t{t}-{v}.png")


def nearly_clean(root: Path) -> None:
    """Scans that are their clean pages but for a grey level or two here and there (copies are refused)."""
    rng = np.random.default_rng(1)
    for scan in (root / "noisy").iterdir():
        clean = np.asarray(Image.open(root / "clean" / scan.name), np.int16)
        Image.fromarray(np.clip(clean + rng.integers(-3, 4, clean.shape), 0, 255).astype(np.uint8)).save(scan)


def args(tmp_path: Path, model: Path, *extra: str) -> list[str]:
    return ["train", "--noisy", str(tmp_path / "data" / "noisy"), "--clean", str(tmp_path / "data" / "clean"),
            "--from", str(model), "--device", "cpu", "--patch-size", "48", "--batch-size", "2",
            "--batches-per-epoch", "2", *extra]


def test_train_writes_the_run_folder_and_a_usable_model(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "2"))
    assert result.exit_code == 0, result.output
    for name in ("retrain.json", "config.json", "metrics.csv", "loss.png", "samples.png", "best.safetensors",
                 "last.safetensors", "state.safetensors"):
        assert (out / name).is_file(), name
    meta = read_metadata(out / "best.safetensors")
    assert meta["task"] == "retrain" and "val_rmse" in meta["metrics"] and meta["init_from"]["path"]
    # Two scans of each text: validation holds whole texts only.
    texts = lambda pages: {Path(p.split("#")[0]).name.split("-")[0] for p in pages}  # noqa: E731
    assert meta["val_pages"] and not texts(meta["val_pages"]) & texts(meta["train_pages"])
    cleaned = runner.invoke(app, ["clean", str(tmp_path / "data" / "noisy"), "-o", str(tmp_path / "out"),
                                  "--model", str(out / "best.safetensors"), "--device", "cpu"])
    assert cleaned.exit_code == 0, cleaned.output
    described = runner.invoke(app, ["models", str(out / "best.safetensors")])
    assert f"data          noisy {tmp_path / 'data' / 'noisy'}, clean" in described.output  # not a Python dict


def test_bad_pairs_are_named_before_training(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    Image.fromarray(np.zeros((200, 300), np.uint8)).save(tmp_path / "data" / "clean" / "t0-1.png")
    (tmp_path / "data" / "noisy" / "stray.png").write_bytes((tmp_path / "data" / "noisy" / "t0-0.png").read_bytes())
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run")))
    assert result.exit_code == 1
    assert "t0-1.png" in result.output and "300x200" in result.output
    assert not (tmp_path / "run" / "best.safetensors").exists()
    missing = runner.invoke(app, ["train", "--noisy", str(tmp_path / "nowhere"), "--clean",
                                  str(tmp_path / "data" / "clean"), "--out", str(tmp_path / "r")])
    assert missing.exit_code == 1 and "nowhere" in missing.output and "folder not found" in missing.output


def test_interrupted_run_resumes_to_the_same_weights(tmp_path: Path, tiny_model_path: Path) -> None:
    from training.retrain import RetrainConfig, retrain

    make_pairs(tmp_path / "data")
    common = dict(noisy=str(tmp_path / "data" / "noisy"), clean=str(tmp_path / "data" / "clean"),
                  init=str(tiny_model_path), epochs=3, patch_size=48, batch_size=2, batches_per_epoch=3,
                  device="cpu", patience=99)
    whole = retrain(RetrainConfig(out=str(tmp_path / "whole"), **common))
    calls = []

    def stop_in_epoch_two() -> bool:
        calls.append(1)
        return len(calls) == 5  # the second batch of the second epoch

    first = retrain(RetrainConfig(out=str(tmp_path / "cut"), **common), should_stop=stop_in_epoch_two)
    assert first.stopped
    resumed = retrain(RetrainConfig.load(tmp_path / "cut"))
    assert not resumed.stopped and resumed.epochs_run == whole.epochs_run == 3
    a, b = (load_file(str(tmp_path / name / "last.safetensors")) for name in ("whole", "cut"))
    for name in a:
        np.testing.assert_allclose(a[name].numpy(), b[name].numpy(), atol=1e-6, err_msg=name)


def test_max_time_parsing() -> None:
    from cli.train import _seconds

    assert _seconds("90") == 90 and _seconds("10m") == 600 and _seconds("2h") == 7200 and _seconds(None) is None
    with pytest.raises(Exception):
        _seconds("ten minutes")


def test_a_rerun_with_other_options_is_refused_and_leaves_the_run_resumable(tmp_path: Path,
                                                                              tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    first = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "1"))
    assert first.exit_code == 0, first.output
    saved = (out / "retrain.json").read_text()
    other = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "2", "--seed", "7"))
    assert other.exit_code == 2 and "--seed: 0 there, 7 now" in other.output
    assert (out / "retrain.json").read_text() == saved  # refused before anything was written
    again = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "2"])  # may train longer
    assert again.exit_code == 0, again.output
    assert "resum" in again.output.lower() or (out / "metrics.csv").read_text().count("\n") == 3
    ignored = runner.invoke(app, ["train", "--resume", str(out), "--seed", "3"])
    assert ignored.exit_code == 2 and "--seed" in ignored.output


def test_a_rerun_that_trains_nothing_names_the_new_options_it_did_not_use(tmp_path: Path,
                                                                          tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "1")).exit_code == 0
    config = (out / "config.json").read_text()
    again = runner.invoke(app, ["train", "--resume", str(out), "--lr", "0.05"])
    assert again.exit_code == 0, again.output
    assert "note: nothing was trained, so the options that differ from the run's were not used: fit.lr 0.05" \
        in again.output
    assert (out / "config.json").read_text() == config


def test_resume_works_from_another_folder_and_in_a_moved_run(tmp_path: Path, tiny_model_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    make_pairs(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    relative = ["train", "--noisy", "data/noisy", "--clean", "data/clean", "--from", str(tiny_model_path),
                "--device", "cpu", "--patch-size", "48", "--batch-size", "2", "--batches-per-epoch", "2"]
    assert runner.invoke(app, [*relative, "--out", "run", "--epochs", "1"]).exit_code == 0
    assert Path(json.loads((tmp_path / "run" / "retrain.json").read_text())["noisy"]).is_absolute()
    (tmp_path / "run").rename(tmp_path / "moved")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    moved = runner.invoke(app, ["train", "--resume", str(tmp_path / "moved"), "--epochs", "2"])
    assert moved.exit_code == 0, moved.output
    assert not (tmp_path / "run").exists()  # carried on in the folder it was given, not the old one
    assert len((tmp_path / "moved" / "metrics.csv").read_text().strip().splitlines()) == 3  # header and 2 epochs


def test_bad_values_fail_in_one_line_before_a_run_folder_is_made(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    for extra, text in ((["--group", "("], "error: --group: not a regular expression"),
                        (["--lr", "-1"], "error: --lr: the learning rate must lie between 0 and 1"),
                        (["--max-time", "soon"], "error: --max-time: 'soon' is not a duration"),
                        (["--max-time", "0s"], "error: --max-time: '0s': the time must be more than 0")):
        result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"), *extra))
        assert result.exit_code == 2 and result.output.strip() == result.output.strip().splitlines()[0]
        assert result.output.startswith(text), result.output  # one line, not Typer's box
        assert not (tmp_path / "run").exists()
    missing = runner.invoke(app, ["train", "--noisy", str(tmp_path / "data" / "noisy")])
    assert missing.exit_code == 2
    assert missing.output.strip() == "error: give --noisy, --clean and --out (or --resume RUN)"
    assert runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"), "--epochs", "1")
                         ).exit_code == 0
    ignored = runner.invoke(app, ["train", "--resume", str(tmp_path / "run"), "--patch-size", "64"])
    assert ignored.exit_code == 2
    assert ignored.output.startswith("error: --patch-size: a resumed run keeps its own data"), ignored.output
    assert len(ignored.output.strip().splitlines()) == 1


def test_fine_tuning_that_never_beats_its_start_says_so(tmp_path: Path, tiny_model_path: Path) -> None:
    from training.retrain import start_score

    make_pairs(tmp_path / "data")
    nearly_clean(tmp_path / "data")  # the untrained model is near perfect
    out = tmp_path / "run"
    # A learning rate this high wrecks the model at once; every epoch ends worse than the start.
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "1", "--lr", "0.5"))
    assert result.exit_code == 0, result.output
    start = start_score(out)
    assert start is not None and start["val_rmse"] > 0 and start["model"] == str(tiny_model_path)
    assert "no epoch beat the model it started from" in result.output


def test_a_run_whose_best_epoch_is_worse_than_the_scans_says_so(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    nearly_clean(tmp_path / "data")  # leaving the scans alone is near perfect
    scratch = [a for a in args(tmp_path, tiny_model_path) if a not in ("--from", str(tiny_model_path))]
    # From scratch: no starting model to compare with, only the uncleaned pages.
    result = runner.invoke(app, [*scratch, "--scratch", "--out", str(tmp_path / "run"), "--epochs", "1",
                                 "--lr", "0.5"])
    assert result.exit_code == 0, result.output
    assert "the best epoch makes the validation pages worse than the scans themselves" in result.output


def test_a_stop_signal_exits_with_its_code_and_says_no_model_was_written(tmp_path: Path, tiny_model_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    import training.stop

    make_pairs(tmp_path / "data")

    class Stopped(training.stop.StopFlag):  # as if SIGTERM came during the first batch
        def __call__(self) -> bool:
            if (tmp_path / "run" / "config.json").exists():  # written as training starts
                self.set(signal.SIGTERM)
            return self.requested

    monkeypatch.setattr(training.stop, "StopFlag", Stopped)
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"), "--epochs", "2"))
    assert result.exit_code == 143
    assert "no epoch finished" in result.output and "best.safetensors" not in result.output
    assert "continue with: docclean train --resume" in result.output


def test_a_validation_set_that_is_the_training_set_is_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"),
                                     "--val-noisy", str(tmp_path / "data" / "noisy"),
                                     "--val-clean", str(tmp_path / "data" / "clean")))
    assert result.exit_code == 1 and "also training pages" in result.output
    assert not (tmp_path / "run").exists()


def test_a_resumed_run_takes_the_free_options_given_anew_and_keeps_the_rest(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import training.retrain
    from docclean.errors import DataError

    run = tmp_path / "run"
    run.mkdir()
    (run / "retrain.json").write_text(json.dumps({"noisy": "n", "clean": "c", "out": "elsewhere", "epochs": 5,
                                                  "patience": 4, "lr": 0.01, "device": "cpu", "seed": 9}))
    seen = []

    def stop_at_the_split(cfg, *_):  # the config as the command resolved it; nothing is trained
        seen.append(cfg)
        raise DataError("stopped by the test")

    monkeypatch.setattr(training.retrain, "load_split", stop_at_the_split)
    result = runner.invoke(app, ["train", "--resume", str(run), "--epochs", "7", "--max-time", "2m", "--lr", "0.002"])
    assert "stopped by the test" in result.output
    cfg = seen[0]
    assert (cfg.epochs, cfg.max_time, cfg.lr) == (7, 120.0, 0.002)  # given anew
    assert (cfg.patience, cfg.device, cfg.seed) == (4, "cpu", 9)  # not given: the run's own
    assert cfg.out == str(run.absolute())


def test_progress_of_a_run_past_its_epochs_counts_what_was_done() -> None:
    import io

    from rich.console import Console

    from cli.progress import RichProgressCallback

    text = io.StringIO()
    with RichProgressCallback(console=Console(file=text, width=100)) as bars:
        bars.on_train_start(4, 2, 3)  # a caller of fit that let a run of 4 epochs go on with --epochs 2
        assert bars._progress is not None and bars._progress.tasks[0].total == 4  # not a bar at "4/2"
        assert len(bars._progress.tasks) == 1  # and no "epoch 5 0/3" bar of an epoch that will not run
    assert "all 4 epochs already done" in text.getvalue() and "all 2 epochs" not in text.getvalue()


@pytest.mark.parametrize("seed", [str(2**64), "-1"])
def test_a_seed_outside_32_bits_is_a_usage_error_naming_the_range(tmp_path: Path, tiny_model_path: Path,
                                                                  seed: str) -> None:
    make_pairs(tmp_path / "data")
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"), "--epochs", "1",
                                     "--seed", seed))
    assert result.exit_code == 2 and "0<=x<=4294967295" in result.output, result.output
    assert "Overflow" not in result.output and not (tmp_path / "run").exists()


def test_every_bad_pair_is_named_in_one_run_with_the_files_left_out(tmp_path: Path, tiny_model_path: Path) -> None:
    # Each of these stopped a run of its own (a truncated clean page at the split), or was only left
    # out while training went on with exit 0 (a noisy file that is text, an empty clean page).
    data = tmp_path / "data"
    make_pairs(data, texts=4)
    (data / "noisy" / "t0-0.png").write_text("junk\n")
    (data / "clean" / "t0-1.png").write_bytes(b"")
    whole = (data / "clean" / "t1-0.png").read_bytes()
    (data / "clean" / "t1-0.png").write_bytes(whole[:len(whole) // 2])
    Image.fromarray(np.full((72, 72), 255, np.uint8)).save(data / "clean" / "t2-0.png")  # blank
    Image.fromarray(np.zeros((72, 62), np.uint8) + 128).save(data / "clean" / "t2-1.png")  # 10 px narrower
    Image.fromarray(np.zeros((72, 72), np.uint8)).save(data / "noisy" / "orphan.png")
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run")))
    assert result.exit_code == 1, result.output
    said = result.output.replace("\n", "")
    assert "5 pair(s) cannot be used" in said
    for name in ("t0-0.png", "t0-1.png", "t1-0.png", "t2-0.png", "t2-1.png"):
        assert name in said, name
    assert "orphan.png: no clean page named orphan" in said and "(left out)" in said
    assert not (tmp_path / "run").exists()


def test_refusals_name_flags_and_exit_2(tmp_path: Path, tiny_model_path: Path) -> None:
    make_pairs(tmp_path / "data")
    notarun = runner.invoke(app, ["train", "--resume", str(tmp_path)])
    assert notarun.exit_code == 2 and "not a docclean train run folder" in notarun.output
    group = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(tmp_path / "run"), "--group", "zzz"))
    assert group.exit_code == 2 and "--group" in group.output and "'zzz'" in group.output


def test_small_pages_scoring_steps_and_an_interrupted_run_are_told(tmp_path: Path, tiny_model_path: Path) -> None:
    from training.loop import FitResult
    from training.retrain import result_warnings

    make_pairs(tmp_path / "data", size=40)
    out = tmp_path / "run"
    result = runner.invoke(app, args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "1"))
    assert result.exit_code == 0, result.output
    said = result.output.replace("\n", " ")
    assert "4 training page(s) are smaller than --patch-size 48" in said
    assert "scoring the starting model" in said
    (out / "start.json").write_text('{"model": "m", "val_rmse": 0.0}\n')  # nothing can beat it
    stopped = FitResult(best_epoch=0, best_metric=0.1, epochs_run=1, stopped_early=False, out_dir=out, history=[],
                        stopped=True)
    told = " ".join(result_warnings(stopped, out))
    assert "interrupted" in told and f"docclean train --resume {out}" in told and "keep using" not in told


def stop_after_calls(monkeypatch: pytest.MonkeyPatch, out: Path, calls: int, after: str = "config.json") -> list[int]:
    """SIGINT as the stop flag is asked for the ``calls``-th time once ``out/after`` is there (config.json:
    training began; metrics.csv: an epoch ended): at an epoch's start, after each batch, per page scored.
    Returns a switch: clear it and no stop comes."""
    import signal

    import training.stop

    armed, asked = [1], []

    class Stopped(training.stop.StopFlag):
        def __call__(self) -> bool:
            if armed and (out / after).exists():
                asked.append(1)
                if len(asked) == calls:
                    self.set(signal.SIGINT)
            return self.requested

    monkeypatch.setattr(training.stop, "StopFlag", Stopped)
    return armed


def no_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    import training.retrain
    from training.loop import Callback

    monkeypatch.setattr(training.retrain, "SamplePictures", lambda *args: Callback())


def test_a_rerun_of_the_first_command_keeps_the_options_it_leaves_out(tmp_path: Path, tiny_model_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import csv
    import json

    from training.fit_types import FitConfig, lr_at

    make_pairs(tmp_path / "data")
    no_pictures(monkeypatch)
    out = tmp_path / "run"
    first = [*args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "3")]
    armed = stop_after_calls(monkeypatch, out, 1, after="metrics.csv")  # as epoch 2 starts
    stopped = runner.invoke(app, [*first, "--lr", "1e-5", "--patience", "1", "--max-time", "1h"])
    assert stopped.exit_code == 130, stopped.output
    armed.clear()
    # The same command without --lr, --patience and --max-time goes on as --resume does: with the run's own.
    rerun = runner.invoke(app, first)
    assert rerun.exit_code == 0, rerun.output
    assert "resuming at epoch 2 of 3" in rerun.output
    stored = json.loads((out / "retrain.json").read_text())
    assert (stored["lr"], stored["patience"], "max_time" in stored) == (1e-5, 1, False)
    meta = read_metadata(out / "last.safetensors")
    assert (meta["retrain"]["lr"], meta["retrain"]["patience"], meta["fit"]["lr"]) == (1e-5, 1, 1e-5)
    rates = [float(row["lr"]) for row in csv.DictReader((out / "metrics.csv").open())]
    assert rates[1] == pytest.approx(lr_at(FitConfig(out_dir=out, epochs=3, lr=1e-5), 1))  # not 3e-4's cosine
    # Given anew, a free option changes as with --resume.
    more = runner.invoke(app, [*first[:-2], "--epochs", "4", "--lr", "2e-5"])
    assert more.exit_code == 0, more.output
    stored = json.loads((out / "retrain.json").read_text())
    assert (stored["epochs"], stored["lr"], stored["patience"]) == (4, 2e-5, 1)


def test_a_stop_inside_the_first_epoch_says_where_and_the_rerun_resumes_from_there(
        tmp_path: Path, tiny_model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_pairs(tmp_path / "data")
    no_pictures(monkeypatch)
    out = tmp_path / "run"
    command = args(tmp_path, tiny_model_path, "--out", str(out), "--epochs", "2", "--batches-per-epoch", "3")
    armed = stop_after_calls(monkeypatch, out, 3)  # the epoch's start, then its batches 1 and 2
    stopped = runner.invoke(app, command)
    assert stopped.exit_code == 130, stopped.output
    said = stopped.output
    assert "stopped in epoch 1 at batch 2 of 3; rerun the command to resume from there" in said
    assert "no checkpoint yet" not in said and "no model was written" not in said
    assert f"no epoch finished: no best model yet; {out / 'last.safetensors'} holds the weights as they stopped" \
        in said.replace("\n", " ")
    assert not (out / "best.safetensors").exists()
    # The weights file says where its weights stand: no finished epoch, no validation.
    meta = read_metadata(out / "last.safetensors")
    assert (meta["partial_epoch"], meta["partial_batches"], meta["batches_per_epoch"]) == (0, 2, 3)
    assert "epoch" not in meta and "metrics" not in meta
    described = runner.invoke(app, ["models", str(out / "last.safetensors")])
    assert "(epoch 0)" not in described.output
    assert "validation    none: weights stopped in epoch 1 at batch 2 of 3, saved to resume from (not validated)" \
        in described.output
    armed.clear()
    resumed = runner.invoke(app, command)
    assert resumed.exit_code == 0, resumed.output
    assert "resuming in epoch 1 after batch 2 of 3" in resumed.output
    assert "finished after 2 epochs" in resumed.output
