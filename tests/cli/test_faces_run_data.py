"""`docclean faces`: a run remembers the data folder it was trained on however it was found (the
$DOCCLEAN_DATA default too), so eval finds the faces later without being told."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from training.suite.faces_data import FILE_NAME, write_faces_mat

runner = CliRunner()


def test_a_run_trained_on_the_data_found_through_docclean_data_is_scored_on_it_later(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    faces = np.concatenate([np.clip(rng.normal(60 + 30 * p, 20, (10, 64, 64)), 0, 255) for p in range(4)])
    (tmp_path / "data" / "olivetti").mkdir(parents=True)
    write_faces_mat(tmp_path / "data" / "olivetti" / FILE_NAME, faces.astype(np.uint8))
    monkeypatch.setenv("DOCCLEAN_DATA", str(tmp_path / "data"))
    trained = runner.invoke(app, ["faces", "train", "--out", str(tmp_path / "run"), "--epochs", "1", "--code", "4",
                                  "--width", "4", "--test-people", "1", "--val-people", "1", "--no-verify",
                                  "--threads", "1", "--device", "cpu"])
    assert trained.exit_code == 0, trained.output
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["task"]["data_dir"]
    assert stored == str((tmp_path / "data" / "olivetti").resolve())
    monkeypatch.delenv("DOCCLEAN_DATA")  # a later shell without it: the default would be the empty cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    scored = runner.invoke(app, ["faces", "eval", str(tmp_path / "run"), "--device", "cpu"])
    assert scored.exit_code == 0 and "test MSE" in scored.output, scored.output
