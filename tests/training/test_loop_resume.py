"""training.loop on resume: a model that draws random numbers in its forward pass, stopped part way
through an epoch, resumes to the uninterrupted run exactly; a run trained further drops the scores
and pictures of its old model; a rerun that trains nothing keeps its config.json."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn

from training.loop import FitConfig, FitResult, fit
from training.suite.vae import ImageBatches, VAELoss
from training.suite.vae_models import MLPVAE, MLPVAEConfig


def _images(n: int = 48) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return (torch.rand(n, 1, 28, 28, generator=g) > 0.7).float()


def _stop_after(calls: int):
    count = {"n": 0}

    def should_stop() -> bool:
        count["n"] += 1
        return count["n"] >= calls
    return should_stop


def _vae_fit(out: Path, should_stop=None) -> FitResult:
    torch.manual_seed(0)
    model = MLPVAE(MLPVAEConfig(latent_dim=2, hidden=16))
    images = _images()
    cfg = FitConfig(out_dir=out, epochs=2, lr=1e-2, seed=3)
    return fit(model, VAELoss(), ImageBatches(images[:40], 8, shuffle=True), cfg, arch="vae-mlp",
               model_config=model.config.to_dict(), val_data=ImageBatches(images[40:], 8), should_stop=should_stop)


def test_a_vae_stopped_mid_epoch_resumes_to_the_uninterrupted_run_exactly(tmp_path: Path) -> None:
    whole = _vae_fit(tmp_path / "whole")
    # 5 batches an epoch, and the hook is asked before each epoch too: it stops after batch 3 of epoch 2.
    stopped = _vae_fit(tmp_path / "cut", should_stop=_stop_after(10))
    assert stopped.stopped and stopped.stopped_at == (1, 3)
    resumed = _vae_fit(tmp_path / "cut")
    drop = ("epoch_seconds",)
    assert [{k: v for k, v in row.items() if k not in drop} for row in resumed.history] == \
           [{k: v for k, v in row.items() if k not in drop} for row in whole.history]


class Noisy(nn.Module):
    """A line whose input is jittered by torch, NumPy and Python's random numbers in every forward pass."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        jitter = torch.randn_like(x) + float(np.random.rand()) + random.random()
        return self.lin(x + 0.1 * jitter)


def _noisy_fit(out: Path, epochs: int = 2, should_stop=None, **options) -> FitResult:
    torch.manual_seed(0)
    x = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    y = x.sum(1, keepdim=True)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    cfg = FitConfig(out_dir=out, epochs=epochs, **{"lr": 0.1, **options})
    return fit(Noisy(), lambda m, b: (nn.functional.mse_loss(m(b[0]), b[1]), {}), batches, cfg, arch="noisy",
               model_config={}, val_data=batches[:1], should_stop=should_stop, derived_files=("eval.json", "latent.*"))


def test_numpy_and_python_draws_in_the_model_resume_exactly_too(tmp_path: Path) -> None:
    whole = _noisy_fit(tmp_path / "whole")
    assert _noisy_fit(tmp_path / "cut", should_stop=_stop_after(8)).stopped_at == (1, 2)
    resumed = _noisy_fit(tmp_path / "cut")
    assert [r["train_loss"] for r in resumed.history] == [r["train_loss"] for r in whole.history]
    assert [r["val_loss"] for r in resumed.history] == [r["val_loss"] for r in whole.history]


def test_a_run_trained_further_drops_what_was_made_from_its_old_model_but_not_other_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    _noisy_fit(out, epochs=1)
    for name in ("eval.json", "latent.png", "notes.txt"):
        (out / name).write_text("x")
    _noisy_fit(out, epochs=1)  # nothing to train: the model, and what was made from it, stay
    assert {p.name for p in out.iterdir()} >= {"eval.json", "latent.png", "notes.txt"}
    assert _noisy_fit(out, epochs=2).epochs_run == 2
    assert not (out / "eval.json").exists() and not (out / "latent.png").exists()
    assert (out / "notes.txt").read_text() == "x"  # the user's own file


def test_a_stopped_run_resumed_drops_what_was_made_from_its_old_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _noisy_fit(out, should_stop=_stop_after(8)).stopped_at == (1, 2)
    (out / "eval.json").write_text("{}")
    assert not _noisy_fit(out).stopped and not (out / "eval.json").exists()


def test_a_rerun_that_trains_nothing_keeps_config_json_and_names_the_options_it_did_not_use(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = _noisy_fit(out, epochs=1, lr=0.002)
    saved = (out / "config.json").read_text()
    again = _noisy_fit(out, epochs=1, lr=0.01)
    assert again.epochs_run == 1 and (out / "config.json").read_text() == saved
    assert first.unused is None and again.unused is not None and "fit.lr 0.01 (the run's: 0.002)" in again.unused
    assert _noisy_fit(out, epochs=1, lr=0.002).unused is None  # the same options: nothing to say
    further = _noisy_fit(out, epochs=2, lr=0.01)
    assert further.unused is None and json.loads((out / "config.json").read_text())["fit"]["lr"] == 0.01
