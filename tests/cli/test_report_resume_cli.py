"""``docclean clean ... --report`` rerun as the docs show it (the report inside the output folder,
relative paths): the rerun's skipped files carry the first run's pages (docclean.reportcarry)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from docclean.checkpoint import save_model
from docclean.model import DocUNet, DocUNetConfig


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    torch.manual_seed(0)
    net = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    return save_model(net, tmp_path_factory.mktemp("model") / "tiny.safetensors", "docunet",
                      net.config.to_dict(), {})


def test_a_rerun_with_the_same_report_keeps_the_first_runs_pages(tmp_path: Path, model: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(2)
    Path("scans").mkdir()
    for name in ("a.png", "b.tif"):
        Image.fromarray(rng.integers(0, 256, (48, 40), dtype=np.uint8)).save(Path("scans") / name)
    command = ["clean", "scans/", "-o", "clean/", "--report", "clean/report.json", "--model", str(model),
               "--device", "cpu"]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    was = json.loads(Path("clean/report.json").read_text())
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    data = json.loads(Path("clean/report.json").read_text())
    assert data["in_progress"] is False and data["summary"]["skipped"] == 2 and data["summary"]["pages_cleaned"] == 0
    assert [f["earlier"] for f in data["files"]] == \
        [{"started": was["started"], "pages": f["pages"], "warnings": f["warnings"]} for f in was["files"]]
    assert all(f["earlier"]["pages"][0]["ink_loss"] is not None for f in data["files"])
