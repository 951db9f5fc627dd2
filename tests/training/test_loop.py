"""Tests for training.loop: loss falls, best/last checkpoints, early stop, resume, seeding."""

import csv

import pytest
import torch
from torch import nn

from docclean.checkpoint import load_model
from training.loop import Callback, FitConfig, fit, make_optimizer


class Line(nn.Module):
    def __init__(self, config=None):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x):
        return self.lin(x)


@pytest.fixture(autouse=True)
def register_line(monkeypatch):
    from docclean import model as model_module

    monkeypatch.setitem(model_module.ARCHITECTURES, "line", (Line, dict))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    return [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]


def mse(model, batch):
    x, y = batch
    pred = model(x)
    return nn.functional.mse_loss(pred, y), {"abs": float((pred - y).detach().abs().mean())}


def run(tmp_path, epochs, **kw):
    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=epochs, lr=0.2, lr_schedule="none", **kw)
    return fit(Line(), mse, data(), cfg, arch="line", model_config={}, val_data=data()[:1])


def test_loss_falls_and_files_written(tmp_path):
    result = run(tmp_path, 8)
    losses = [row["train_loss"] for row in result.history]
    assert losses[-1] < losses[0] * 0.5
    for name in ("best.safetensors", "last.safetensors", "state.safetensors", "metrics.csv", "config.json"):
        assert (tmp_path / "run" / name).exists()
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    assert len(rows) == 8 and {"train_loss", "val_loss", "val_abs", "lr"} <= set(rows[0])
    model, meta = load_model(result.best_path)
    assert meta["epoch"] == result.best_epoch and meta["metrics"]["val_loss"] == pytest.approx(result.best_metric)


def test_resume_continues_where_it_stopped(tmp_path):
    full = run(tmp_path / "a", 6)
    run(tmp_path / "b", 3)
    resumed = run(tmp_path / "b", 6)
    assert len(resumed.history) == 6
    assert resumed.history[-1]["train_loss"] == pytest.approx(full.history[-1]["train_loss"], rel=1e-5)


def test_early_stopping(tmp_path):
    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=50, lr=0.0, patience=2, lr_schedule="none")
    result = fit(Line(), mse, data(), cfg, arch="line", model_config={}, val_data=data()[:1])
    assert result.stopped_early and result.epochs_run == 3


def test_callbacks_called(tmp_path):
    seen = []

    class Spy(Callback):
        def on_epoch_end(self, epoch, metrics):
            seen.append(epoch)

    torch.manual_seed(0)
    cfg = FitConfig(out_dir=tmp_path / "run", epochs=2, lr=0.01)
    fit(Line(), mse, data(), cfg, arch="line", model_config={}, callbacks=[Spy()])
    assert seen == [0, 1]


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("lbfgs2", Line().parameters(), 0.1, 0.0)
