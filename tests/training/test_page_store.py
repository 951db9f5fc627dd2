"""Training pages kept as small integers (training.page_store) and read back as the reader gives them."""

from pathlib import Path

import numpy as np
from PIL import Image

from docclean.io import read_gray
from training.page_store import as_float, compact, paper


def test_an_eight_bit_page_is_kept_as_its_bytes_and_read_back_unchanged(tmp_path: Path) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (40, 30), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "p.png")
    page = read_gray(tmp_path / "p.png")
    kept = compact(page)
    assert kept.dtype == np.uint8 and np.array_equal(kept, pixels)
    assert as_float(kept).dtype == np.float32 and np.array_equal(as_float(kept), page)
    assert paper(kept) == 255


def test_any_other_page_is_kept_in_sixteen_bits_within_half_a_step() -> None:
    page = np.random.default_rng(1).random((40, 30), dtype=np.float32)
    kept = compact(page)
    assert kept.dtype == np.uint16 and paper(kept) == 65535
    assert np.abs(as_float(kept) - page).max() <= 0.5 / 65535 + 1e-7
    assert as_float(page) is page and paper(page) == 1.0
