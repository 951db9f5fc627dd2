"""``docclean clean --format jpeg|webp`` on a page taller than the format holds: one error line naming
the file and the reason, no line of the encoder's own on stderr, nothing written for it, and the
batch goes on."""

from __future__ import annotations

from pathlib import Path

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
                      net.config.to_dict(), {"note": "test"})


@pytest.mark.parametrize(("fmt", "label", "side"), [("jpeg", "JPEG", 65_500), ("webp", "WebP", 16_383)])
def test_a_page_too_tall_for_the_format_is_one_error_line_and_the_batch_goes_on(
        tmp_path: Path, model: Path, capfd: pytest.CaptureFixture[str], fmt: str, label: str, side: int) -> None:
    (tmp_path / "in").mkdir()
    Image.new("L", (2, side + 1), 230).save(tmp_path / "in" / "a_roll.png")
    Image.new("L", (40, 56), 230).save(tmp_path / "in" / "b_page.png")
    result = CliRunner().invoke(app, ["clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--format", fmt,
                                      "--model", str(model), "--device", "cpu"])
    assert result.exit_code == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {tmp_path / 'in' / 'a_roll.png'}: page 1 is 2 x {side + 1} pixels; {label} holds at "
                      f"most {side} pixels a side: write it as PNG, TIFF, BMP or PDF"]
    assert "1 cleaned, 0 skipped, 1 failed" in result.stderr
    suffix = ".jpg" if fmt == "jpeg" else ".webp"
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == [f"b_page{suffix}"]
    assert "Maximum supported image dimension" not in capfd.readouterr().err  # libjpeg's own line, on fd 2
