"""`docclean vae`: a run remembers the data folder it was trained on however it was found (the
$DOCCLEAN_DATA default too), so eval and latent find the test files later without being told."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from docclean.errors import ModelError
from training.suite.vae_models import MLPVAE, MLPVAEConfig
from training.suite.vae_pictures import plot_manifold

runner = CliRunner()


def test_a_run_trained_on_the_data_found_through_docclean_data_is_read_from_it_later(
        tiny_fashion_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(tiny_fashion_dir, tmp_path / "data" / "fashion-mnist")
    monkeypatch.setenv("DOCCLEAN_DATA", str(tmp_path / "data"))
    trained = runner.invoke(app, ["vae", "train", "--out", str(tmp_path / "run"), "--arch", "mlp", "--epochs", "1",
                                  "--batch-size", "32", "--no-verify", "--threads", "1", "--device", "cpu"])
    assert trained.exit_code == 0, trained.output
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["task_config"]["data_dir"]
    assert stored == str((tmp_path / "data" / "fashion-mnist").resolve())
    monkeypatch.delenv("DOCCLEAN_DATA")  # a later shell without it: the default would be the empty cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    scored = runner.invoke(app, ["vae", "eval", str(tmp_path / "run"), "--device", "cpu"])
    assert scored.exit_code == 0 and "test negative ELBO" in scored.output, scored.output
    drawn = runner.invoke(app, ["vae", "latent", str(tmp_path / "run"), "--device", "cpu"])
    assert drawn.exit_code == 0 and (tmp_path / "run" / "latent.png").exists(), drawn.output


def test_a_one_dimensional_latent_is_named_in_the_singular(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="this model has 1 dimension \\(use"):
        plot_manifold(MLPVAE(MLPVAEConfig(latent_dim=1, hidden=4)).eval(), tmp_path / "m.png")
