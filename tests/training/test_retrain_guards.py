"""``docclean train`` refuses what would overwrite, mix up or silently ignore: run folders that are
not run folders or overlap the data, a second run on one folder, a resume over changed pairs, a
device that is not there, option pairs that cannot both hold; and it stores paths so a rerun or
resume from anywhere finds the same run. Tiny synthetic pairs, a tiny model, CPU, seconds each."""

import json
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def make_pairs(root: Path, texts: int = 3, first: int = 0) -> Path:
    """``texts`` texts, two scans each, as root/noisy and root/clean (72 px pages)."""
    rng = np.random.default_rng(first)
    for t in range(first, first + texts):
        clean = np.full((72, 72), 255, np.uint8)
        for _ in range(6):
            y, x = rng.integers(4, 62, 2)
            clean[y:y + 6, x:x + 2] = 20
        for v in range(2):
            noisy = (clean * 0.75 + rng.integers(0, 50, clean.shape)).astype(np.uint8)
            for folder, img in (("noisy", noisy), ("clean", clean)):
                (root / folder).mkdir(parents=True, exist_ok=True)
                Image.fromarray(img).save(root / folder / f"t{t}-{v}.png")
    return root


def train(noisy: Path | str, clean: Path | str, out: Path | str, *extra: str, model: Path | str | None = None):
    """Invoke ``docclean train`` with the tiny options (one epoch unless ``extra`` says otherwise)."""
    argv = ["train", "--noisy", str(noisy), "--clean", str(clean), "--out", str(out), "--device", "cpu",
            "--patch-size", "48", "--batch-size", "2", "--batches-per-epoch", "1"]
    if model is not None:
        argv += ["--from", str(model)]
    if "--epochs" not in extra:
        argv += ["--epochs", "1"]
    return runner.invoke(app, [*argv, *extra])


@pytest.fixture
def no_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip drawing loss.png and samples.png (most of a tiny epoch's time) in tests that do not look at them."""
    import training.retrain
    from training.loop import Callback

    monkeypatch.setattr(training.retrain, "SamplePictures", lambda *args: Callback())


def one_error_line(output: str) -> str:
    """The one ``error:`` line of a refusal (a count of pages may come before it), with no traceback."""
    errors = [line for line in output.strip().splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in output and output.strip().endswith(errors[0]), output
    return errors[0]


def test_an_out_folder_with_other_files_or_overlapping_the_data_is_refused(tmp_path: Path,
                                                                          tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "config.json").write_text("my own settings")
    (mine / "metrics.csv").write_text("my own numbers")
    result = train(data / "noisy", data / "clean", mine, model=tiny_model_path)
    assert result.exit_code == 2
    assert "--out" in one_error_line(result.output) and "already holds other files" in result.output
    assert (mine / "config.json").read_text() == "my own settings" and sorted(p.name for p in mine.iterdir()) == [
        "config.json", "metrics.csv"]
    before = sorted(p.name for p in (data / "clean").iterdir())
    for out, how in ((data / "clean", "is the --clean folder"), (data / "clean" / "run", "lies inside the --clean"),
                     (data, "holds the --noisy folder"), (data / "noisy" / ".." / "clean", "is the --clean")):
        result = train(data / "noisy", data / "clean", out, model=tiny_model_path)
        assert result.exit_code == 2 and how in one_error_line(result.output), (out, result.output)
    assert sorted(p.name for p in (data / "clean").iterdir()) == before  # no samples.png, no run folder
    val = make_pairs(tmp_path / "val", first=7)
    result = train(data / "noisy", data / "clean", val / "noisy" / "run", "--val-noisy", str(val / "noisy"),
                   "--val-clean", str(val / "clean"), model=tiny_model_path)
    assert result.exit_code == 2 and "lies inside the --val-noisy folder" in one_error_line(result.output)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert train(data / "noisy", data / "clean", empty, model=tiny_model_path).exit_code == 0  # an empty folder is fine


def test_a_relative_from_model_resumes_from_another_working_folder(tmp_path: Path, tiny_model_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    make_pairs(tmp_path / "data")
    (tmp_path / "models").mkdir()
    shutil.copy(tiny_model_path, tmp_path / "models" / "tiny.safetensors")
    monkeypatch.chdir(tmp_path)
    assert train("data/noisy", "data/clean", "run", "--epochs", "1", model="models/tiny.safetensors").exit_code == 0
    assert json.loads((tmp_path / "run" / "retrain.json").read_text())["init"] == str(
        tmp_path.resolve() / "models" / "tiny.safetensors")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    resumed = runner.invoke(app, ["train", "--resume", str(tmp_path / "run"), "--epochs", "2"])
    assert resumed.exit_code == 0, resumed.output
    from training.retrain_config import model_option

    assert model_option("default") == "default" and model_option("fast") == "fast"  # built-in names stay names


def test_the_same_command_through_dotdot_paths_is_the_same_run(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert train(data / "noisy", data / "clean", out, model=tiny_model_path).exit_code == 0
    again = train(data / "clean" / ".." / "noisy", data / "noisy" / ".." / "clean", out, "--epochs", "2",
                  model=tiny_model_path)
    assert again.exit_code == 0, again.output  # carried on, not "started with other options"
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 3


def test_start_json_of_replaced_options_is_written_anew(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    out.mkdir()
    # What an attempt that failed before its first epoch leaves: its options and its start score.
    (out / "retrain.json").write_text(json.dumps({"noisy": "/old/noisy", "clean": "/old/clean", "out": str(out),
                                                  "init": "/old/model.safetensors"}))
    (out / "start.json").write_text(json.dumps({"model": "/old/model.safetensors", "val_rmse": 0.0}))
    result = train(data / "noisy", data / "clean", out, model=tiny_model_path)
    assert result.exit_code == 0, result.output
    start = json.loads((out / "start.json").read_text())
    assert start["model"] == str(tiny_model_path) and start["val_rmse"] > 0


def test_resuming_after_pairs_were_added_or_removed_is_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert train(data / "noisy", data / "clean", out, model=tiny_model_path).exit_code == 0
    config = (out / "config.json").read_text()
    make_pairs(data, texts=1, first=3)  # one more text: two more pairs
    for argv in (["train", "--resume", str(out), "--epochs", "2"], None):
        result = (runner.invoke(app, argv) if argv else
                  train(data / "noisy", data / "clean", out, "--epochs", "2", model=tiny_model_path))
        assert result.exit_code == 1, result.output
        assert "the pairs changed since the run started (2 added, 0 gone" in one_error_line(result.output)
        assert "start a new run with another --out" in result.output
    assert (out / "config.json").read_text() == config
    for name in ("t3-0.png", "t3-1.png", "t0-0.png"):
        (data / "noisy" / name).unlink()
    result = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "2"])
    assert result.exit_code == 1 and "(0 added, 1 gone" in one_error_line(result.output)


def test_a_device_that_is_not_there_is_refused_before_any_work(tmp_path: Path, tiny_model_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import training.retrain

    data = make_pairs(tmp_path / "data")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def no_reading(*args, **kwargs):
        raise AssertionError("pages were read before the device was checked")

    monkeypatch.setattr(training.retrain, "load_split", no_reading)
    for device, text in (("bogus", "unknown device 'bogus'"), ("cuda", "torch sees no CUDA GPU")):
        result = train(data / "noisy", data / "clean", tmp_path / "run", "--device", device, model=tiny_model_path)
        assert result.exit_code == 2, result.output
        assert "--device" in one_error_line(result.output) and text in result.output
        assert not (tmp_path / "run").exists()


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    from docclean.outputs import output_lock

    LOCK_NAME = ".docclean-train.lock"  # training.retrain.LOCK_NAME, checked below
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    with output_lock(out, name=LOCK_NAME, holder="docclean train run"):  # as the first run holds it
        result = train(data / "noisy", data / "clean", out, model=tiny_model_path)
        assert result.exit_code == 1, result.output
        assert "another docclean train run (pid" in one_error_line(result.output)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]  # nothing of the run written
    assert train(data / "noisy", data / "clean", out, model=tiny_model_path).exit_code == 0
    assert not (out / LOCK_NAME).exists()  # released with the run
    import training.retrain

    assert training.retrain.LOCK_NAME == LOCK_NAME


def test_options_that_would_be_ignored_are_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    val = make_pairs(tmp_path / "val", first=7)
    out = tmp_path / "run"
    for extra, text in ((["--scratch"], "--scratch: a run from scratch starts from no model"),
                        (["--val-noisy", str(val / "noisy")], "--val-clean: give both validation folders"),
                        (["--val-clean", str(val / "clean")], "--val-noisy: give both"),
                        (["--val-noisy", str(val / "noisy"), "--val-clean", str(val / "clean"),
                          "--val-fraction", "0.3"], "--val-fraction: the validation folders are the validation set"),
                        (["--val-noisy", str(val / "noisy"), "--val-clean", str(val / "clean"), "--group", r"(t\d)"],
                         "--group: the validation folders are the validation set")):
        result = train(data / "noisy", data / "clean", out, *extra, model=tiny_model_path)
        assert result.exit_code == 2 and text in one_error_line(result.output), (extra, result.output)
        assert not out.exists()


def test_a_stop_signal_after_the_last_epoch_finishes_the_run(tmp_path: Path, tiny_model_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import training.stop

    data = make_pairs(tmp_path / "data")

    class LateSignal(training.stop.StopFlag):  # SIGTERM came after the last batch asked: nothing stopped
        def __call__(self) -> bool:
            self.set(signal.SIGTERM)
            return False

    monkeypatch.setattr(training.stop, "StopFlag", LateSignal)
    result = train(data / "noisy", data / "clean", tmp_path / "run", model=tiny_model_path)
    assert result.exit_code == 0, result.output
    assert "finished after 1 epoch;" in result.output and "stopped" not in result.output


def test_noisy_and_clean_pages_in_one_folder_are_refused(tmp_path: Path, tiny_model_path: Path) -> None:
    data = make_pairs(tmp_path / "data")
    val = make_pairs(tmp_path / "val", first=7)
    out = tmp_path / "run"
    # Each page its own target: the run would learn nothing and score a perfect 0.0000.
    result = train(data / "noisy", data / "clean" / ".." / "noisy", out, model=tiny_model_path)
    assert result.exit_code == 2 and "--clean: the same folder as --noisy" in one_error_line(result.output)
    result = train(data / "noisy", data / "clean", out, "--val-noisy", str(val / "noisy"), "--val-clean",
                   str(val / "noisy"), model=tiny_model_path)
    assert result.exit_code == 2 and "--val-clean: the same folder as --val-noisy" in one_error_line(result.output)
    assert not out.exists()


def test_a_resume_goes_on_from_its_checkpoint_without_its_from_model(tmp_path: Path, tiny_model_path: Path,
                                                                      no_pictures: None) -> None:
    from docclean.checkpoint import read_metadata, save_model
    from docclean.model import DocUNet, DocUNetConfig

    data = make_pairs(tmp_path / "data")
    base, out = tmp_path / "base.safetensors", tmp_path / "run"
    shutil.copy(tiny_model_path, base)
    assert train(data / "noisy", data / "clean", out, model=base).exit_code == 0
    other = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 4], blocks=[1, 1]))  # another network, the old name
    save_model(other, base, "docunet", other.config.to_dict(), {})
    resumed = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "2"])
    assert resumed.exit_code == 0, resumed.output
    base.unlink()  # moved or deleted: the run's own files are all a resume needs
    resumed = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "3"])
    assert resumed.exit_code == 0, resumed.output
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 4
    assert read_metadata(out / "last.safetensors")["init_from"]["path"] == str(base)  # still where it began
    early = tmp_path / "early"  # an attempt stopped before its first checkpoint starts from --from again
    early.mkdir()
    (early / "retrain.json").write_text((out / "retrain.json").read_text())
    result = runner.invoke(app, ["train", "--resume", str(early)])
    assert result.exit_code == 2
    assert "saved no checkpoint yet, so it starts again from its --from model" in one_error_line(result.output)
    assert str(base) in result.output


def test_resume_refusals_name_no_flag_that_docclean_train_lacks(tmp_path: Path, tiny_model_path: Path,
                                                                 no_pictures: None) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert train(data / "noisy", data / "clean", out, model=tiny_model_path).exit_code == 0
    (out / "config.json").write_text("{damaged")
    result = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "2"])
    assert result.exit_code == 1 and "not valid JSON" in one_error_line(result.output)
    assert "--no-resume" not in result.output and result.output.strip().endswith("choose another --out")


def test_max_time_limits_one_invocation_not_every_later_resume(tmp_path: Path, tiny_model_path: Path,
                                                              no_pictures: None) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert train(data / "noisy", data / "clean", out, "--max-time", "10m", model=tiny_model_path).exit_code == 0
    saved = json.loads((out / "retrain.json").read_text())
    assert "max_time" not in saved  # not part of the run's recipe
    saved["max_time"] = 0.0  # as an older docclean stored it: every resume would stop at once
    (out / "retrain.json").write_text(json.dumps(saved))
    resumed = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "2"])
    assert resumed.exit_code == 0 and "stopped" not in resumed.output, resumed.output
    assert len((out / "metrics.csv").read_text().strip().splitlines()) == 3


def test_a_from_that_is_no_model_is_named_before_any_page_is_read(tmp_path: Path, tiny_model_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import training.retrain
    from docclean.checkpoint import atomic_save_tensors

    data = make_pairs(tmp_path / "data")
    run = tmp_path / "earlier"  # what a training run leaves: its model and the optimizer state beside it
    run.mkdir()
    shutil.copy(tiny_model_path, run / "best.safetensors")
    atomic_save_tensors({"empty": torch.zeros(1)}, run / "state.safetensors",
                        {"docclean": json.dumps({"arch": "trainer-state", "trainer": {}})})

    def no_reading(*args, **kwargs):
        raise AssertionError("pages were read before the model was checked")

    monkeypatch.setattr(training.retrain, "load_split", no_reading)
    for model, text in ((run, f"a folder, not a model file; use {run / 'best.safetensors'}"),
                        (run / "state.safetensors", "a training run's saved optimizer state, not a model: use "
                                                    "best.safetensors"),
                        (data / "noisy" / "t0-0.png", "not a readable docclean safetensors model")):
        result = train(data / "noisy", data / "clean", tmp_path / "run", model=model)
        assert result.exit_code == 2 and text in one_error_line(result.output), (model, result.output)
        assert not (tmp_path / "run").exists()


def test_fewer_epochs_than_the_run_has_done_are_refused_and_not_stored(tmp_path: Path, tiny_model_path: Path,
                                                                       no_pictures: None) -> None:
    data = make_pairs(tmp_path / "data")
    out = tmp_path / "run"
    assert train(data / "noisy", data / "clean", out, "--epochs", "2", model=tiny_model_path).exit_code == 0
    saved = (out / "retrain.json").read_text()
    result = runner.invoke(app, ["train", "--resume", str(out), "--epochs", "1"])
    assert result.exit_code == 2
    assert one_error_line(result.output) == ("error: --epochs: the run has already trained 2 epochs; give more "
                                             "than 2 to train it further")
    assert (out / "retrain.json").read_text() == saved
    again = runner.invoke(app, ["train", "--resume", str(out)])  # as many as done: finished, nothing to do
    assert again.exit_code == 0 and "all 2 epochs already done" in again.output, again.output
