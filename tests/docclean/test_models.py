"""docclean.models: where a model comes from, and what a user who gives the wrong thing is told."""

import shutil
from pathlib import Path

import pytest

from docclean.errors import ModelError
from docclean.models import resolve_model_path


def test_a_run_folder_given_as_the_model_names_its_best_checkpoint(tmp_path: Path, tiny_model_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    with pytest.raises(ModelError, match="a folder, not a model file; give a .safetensors file") as info:
        resolve_model_path(run)
    assert info.value.path == run
    shutil.copy(tiny_model_path, run / "best.safetensors")
    with pytest.raises(ModelError, match=f"a folder, not a model file; use {run / 'best.safetensors'}"):
        resolve_model_path(str(run))
    assert resolve_model_path(run / "best.safetensors") == run / "best.safetensors"


def test_a_run_s_optimizer_state_is_described_as_no_model(tmp_path: Path) -> None:
    import json

    import torch

    from docclean.checkpoint import atomic_save_tensors
    from docclean.models import describe_model

    state = tmp_path / "state.safetensors"
    atomic_save_tensors({"exp_avg": torch.zeros(3)}, state, {"docclean": json.dumps({"arch": "trainer-state"})})
    with pytest.raises(ModelError, match="a training run's saved optimizer state, not a model: use best"):
        describe_model(state)  # it listed Adam's moments as the model's parameters
