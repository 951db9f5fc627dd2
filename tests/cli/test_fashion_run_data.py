"""`docclean fashion`: a run remembers the data folder it was trained on however it was found, compare
leaves out a run whose data cannot be read, and a rerun that trains nothing keeps its config.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def _train(out: Path, *extra: str):
    return runner.invoke(app, ["fashion", "train", "--out", str(out), "--no-verify", "--epochs", "1",
                               "--batch-size", "32", "--threads", "1", "--device", "cpu", *extra])


def test_a_run_trained_on_the_data_found_through_docclean_data_is_scored_on_it_later(
        tiny_fashion_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(tiny_fashion_dir, tmp_path / "data" / "fashion-mnist")
    monkeypatch.setenv("DOCCLEAN_DATA", str(tmp_path / "data"))
    trained = _train(tmp_path / "run")
    assert trained.exit_code == 0, trained.output
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["task"]["data_dir"]
    assert stored == str((tmp_path / "data" / "fashion-mnist").resolve())
    monkeypatch.delenv("DOCCLEAN_DATA")  # a later shell without it: the default would be the empty cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    scored = runner.invoke(app, ["fashion", "eval", str(tmp_path / "run"), "--device", "cpu"])
    assert scored.exit_code == 0 and "test BCE" in scored.output, scored.output


def test_compare_leaves_out_a_run_whose_data_is_gone_and_names_the_run(tiny_fashion_dir: Path,
                                                                       tmp_path: Path) -> None:
    for name in ("a", "b"):
        shutil.copytree(tiny_fashion_dir, tmp_path / f"data-{name}")
        assert _train(tmp_path / name, "--data-dir", str(tmp_path / f"data-{name}")).exit_code == 0
    (tmp_path / "data-b" / "t10k-images-idx3-ubyte.gz").unlink()
    compared = runner.invoke(app, ["fashion", "compare", str(tmp_path / "a"), str(tmp_path / "b"),
                                   "--plot", str(tmp_path / "c.png"), "--table", str(tmp_path / "t.md")])
    assert compared.exit_code == 0, compared.output
    assert f"warning: {tmp_path / 'b'}: its test data cannot be read" in compared.output
    assert "(left out)" in compared.output and (tmp_path / "c.png").exists()
    rows = [line for line in (tmp_path / "t.md").read_text().splitlines() if line.startswith("| a ")]
    assert len(rows) == 1 and "| b " not in (tmp_path / "t.md").read_text()
    alone = runner.invoke(app, ["fashion", "compare", str(tmp_path / "b"), "--plot", str(tmp_path / "d.png")])
    assert alone.exit_code == 1 and "t10k-images-idx3-ubyte.gz" in alone.output  # nothing left to compare


def test_a_rerun_that_trains_nothing_keeps_config_json_and_says_the_new_options_went_unused(
        tiny_fashion_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(out, "--data-dir", str(tiny_fashion_dir), "--lr", "0.002").exit_code == 0
    saved = (out / "config.json").read_text()
    (out / "eval.json").write_text("{}")
    again = _train(out, "--data-dir", str(tiny_fashion_dir), "--lr", "0.01")
    assert again.exit_code == 0 and "all 1 epoch already done" in again.output, again.output
    assert (out / "config.json").read_text() == saved and (out / "eval.json").exists()
    assert "note: nothing was trained" in again.output and "fit.lr 0.01 (the run's: 0.002)" in again.output
    further = _train(out, "--data-dir", str(tiny_fashion_dir), "--lr", "0.01", "--epochs", "2")
    assert further.exit_code == 0 and "note:" not in further.output, further.output
    assert json.loads((out / "config.json").read_text())["fit"]["lr"] == 0.01 and not (out / "eval.json").exists()
