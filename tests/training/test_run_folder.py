"""check_resumable: a run folder holding another optimizer or seed is refused, each with its own
error class and a message naming the field."""

import json
from pathlib import Path

import pytest

from docclean.errors import DataError, ModelError
from training.run_folder import check_resumable


def saved_run(tmp_path: Path, fit: dict) -> Path:
    (tmp_path / "config.json").write_text(json.dumps({"arch": "a", "model_config": {}, "fit": fit}))
    return tmp_path


def test_another_optimizer_or_seed_is_refused_with_its_own_error(tmp_path: Path) -> None:
    run = saved_run(tmp_path, {"optimizer": "adamw", "seed": 0})
    check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "adamw", "seed": 0, "lr": 1.0}})
    with pytest.raises(ModelError, match=r"fit\.optimizer differs \('adamw' there, 'sgd' now\); choose another --out"):
        check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "sgd", "seed": 0}})
    with pytest.raises(DataError, match=r"fit\.seed differs \(0 there, 5 now\); choose another --out") as info:
        check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "adamw", "seed": 5}})
    assert not isinstance(info.value, ModelError)


def test_a_config_saved_without_optimizer_or_seed_resumes_with_any(tmp_path: Path) -> None:
    run = saved_run(tmp_path, {})
    check_resumable(run, {"arch": "a", "model_config": {}, "fit": {"optimizer": "sgd", "seed": 5}})
