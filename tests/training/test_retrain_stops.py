"""``docclean train`` stopping where no batch runs (pages read, whole pages scored), refusing a clean
folder of copies of the scans, and keeping the command that started a resumed run. Tiny pairs, a
tiny model, CPU, seconds each."""

import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from docclean.checkpoint import read_metadata
from docclean.errors import Cancelled
from tests.training.test_retrain_guards import make_pairs

runner = CliRunner()


def train_args(data: Path, out: Path, model: Path) -> list[str]:
    return ["train", "--noisy", str(data / "noisy"), "--clean", str(data / "clean"), "--out", str(out),
            "--from", str(model), "--device", "cpu", "--patch-size", "48", "--batch-size", "2",
            "--batches-per-epoch", "1", "--epochs", "1"]


def config(data: Path, out: Path, model: Path, **extra):  # noqa: ANN003, ANN201
    from training.retrain_config import RetrainConfig

    return RetrainConfig(noisy=str(data / "noisy"), clean=str(data / "clean"), out=str(out), init=str(model),
                         patch_size=48, batch_size=2, batches_per_epoch=1, device="cpu", **extra)


def test_clean_pages_that_are_the_scans_are_refused_and_said_so(tmp_path: Path, tiny_model_path: Path) -> None:
    from training.fit_types import FitResult
    from training.retrain import result_warnings

    data = make_pairs(tmp_path / "data")
    for scan in (data / "noisy").iterdir():  # the clean folder holds copies of the scans
        (data / "clean" / scan.name).write_bytes(scan.read_bytes())
    result = runner.invoke(app, train_args(data, tmp_path / "run", tiny_model_path))
    assert result.exit_code == 2, result.output
    assert ("error: --clean: every clean page is the same as its scan (6 pairs): the clean folder holds copies of "
            "the scans") in result.output
    assert not (tmp_path / "run").exists()
    # Some copies among real pairs train; if validation drew only copies, the warning says what it is.
    ended = FitResult(0, 0.05, 1, False, tmp_path, [{"val_rmse": 0.05, "val_raw_rmse": 0.0}])
    said = result_warnings(ended, tmp_path)
    assert len(said) == 1 and said[0].startswith("the validation pages' clean pages are the scans themselves")
    assert "train longer" not in said[0]


@pytest.mark.parametrize(("when", "hint"), [("reading", "nothing was saved; run the command again to start"),
                                            ("scoring", "continue with: docclean train --resume")])
def test_a_stop_while_pages_are_read_or_scored_takes_effect_at_once(tmp_path: Path, tiny_model_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch, when: str,
                                                                   hint: str) -> None:
    import training.stop

    data, out = make_pairs(tmp_path / "data"), tmp_path / "run"
    asked = []

    class Stopped(training.stop.StopFlag):  # SIGTERM while the pages are read, or the starting model scored
        def __call__(self) -> bool:
            asked.append(1)
            if when == "reading" or (out / "retrain.json").exists():
                self.set(signal.SIGTERM)
            return self.requested

    monkeypatch.setattr(training.stop, "StopFlag", Stopped)
    result = runner.invoke(app, train_args(data, out, tiny_model_path))
    assert result.exit_code == 143, result.output
    assert result.output.strip().splitlines()[-1] == f"stopped; {hint}" + (f" {out}" if "resume" in hint else "")
    assert len(asked) == (1 if when == "reading" else 7)  # 6 pages read, then the first page scored
    assert not (out / "best.safetensors").exists() and not (out / "state.safetensors").exists()


def test_a_stop_during_validation_loses_only_the_epoch_in_hand(tmp_path: Path, tiny_model_path: Path) -> None:
    from training.retrain import retrain
    from training.retrain_config import RetrainConfig

    data, out = make_pairs(tmp_path / "data"), tmp_path / "run"
    with pytest.raises(Cancelled, match="validation"):  # fit has written config.json: validation is scoring
        retrain(config(data, out, tiny_model_path, epochs=1), interrupt=lambda: (out / "config.json").exists())
    assert not (out / "last.safetensors").exists() and not (out / "state.safetensors").exists()
    assert retrain(RetrainConfig.load(out)).epochs_run == 1  # nothing half written: the run goes on


def test_a_resumed_run_keeps_the_command_that_started_it(tmp_path: Path, tiny_model_path: Path) -> None:
    import dataclasses

    from training.retrain import retrain
    from training.retrain_config import RetrainConfig

    data, out = make_pairs(tmp_path / "data"), tmp_path / "run"
    retrain(config(data, out, tiny_model_path, epochs=1), command="docclean train --noisy n --clean c --out r")
    for epochs in (2, 3):
        retrain(dataclasses.replace(RetrainConfig.load(out), epochs=epochs),
                command=f"docclean train --resume r --epochs {epochs}")
    meta = read_metadata(out / "last.safetensors")
    assert meta["command"] == "docclean train --noisy n --clean c --out r"
    assert meta["resumed"] == ["docclean train --resume r --epochs 2", "docclean train --resume r --epochs 3"]


def test_the_summary_is_one_line_at_any_width_and_counts_one_epoch() -> None:
    import io

    from rich.console import Console

    from cli.progress import RichProgressCallback
    from training.fit_types import FitResult

    text = io.StringIO()
    run = Path("/runs/a_very_long_run_folder_name_for_testing_the_wrapping_of_paths_in_logs_[x]")
    with RichProgressCallback(console=Console(file=text, width=80)) as bars:
        bars.on_train_end(FitResult(0, 0.0373, 1, False, run, []))
        bars.on_train_start(1, 1, 1)
    lines = text.getvalue().splitlines()
    assert lines[0] == f"finished after 1 epoch; best epoch 1 (0.0373); checkpoint {run / 'best.safetensors'}"
    assert "all 1 epoch already done" in text.getvalue()


def test_scoring_the_model_being_trained_leaves_it_as_it_was() -> None:
    # The engine's backend turned the trained model to channels_last in place at the first
    # validation: a run resumed in a new process (weights loaded contiguous) then trained in another
    # memory format than an uninterrupted one, and ended 1e-4 apart instead of within 1e-6.
    from docclean.model import DocUNet, DocUNetConfig
    from training.retrain import page_rmse_evaluator

    torch.manual_seed(0)
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])).train()
    strides = {name: p.stride() for name, p in model.named_parameters()}
    page = np.full((40, 48), 0.8, np.float32)
    scores = page_rmse_evaluator([(page, page)])(model)
    assert set(scores) == {"val_rmse", "val_raw_rmse"}
    assert {name: p.stride() for name, p in model.named_parameters()} == strides and model.training


def test_validation_scores_a_page_as_docclean_eval_cleans_it(tiny_model_path) -> None:
    # The bare network ranked epochs the other way round from docclean eval on dark scans (auto
    # levels first): validation must give eval's figure for the same pages.
    from docclean.checkpoint import load_model
    from docclean.engine import Denoiser
    from docclean.metrics import pooled_rmse
    from docclean.settings import CleanSettings
    from training.retrain import page_rmse_evaluator

    rng = np.random.default_rng(0)
    clean = np.ones((96, 96), np.float32)
    clean[20:70:8, 10:80] = 0.05
    dark = np.clip(clean * 0.45 + rng.normal(0, 0.03, clean.shape), 0, 1).astype(np.float32)  # a dark scan
    eval_cleaner = Denoiser.from_settings(CleanSettings(model=str(tiny_model_path), device="cpu", backend="torch",
                                                        precision="fp32"))
    expected = pooled_rmse([(eval_cleaner.clean(dark), clean)])
    got = page_rmse_evaluator([(dark, clean)])(load_model(tiny_model_path)[0])["val_rmse"]
    assert abs(got - expected) < 1e-5, (got, expected)
