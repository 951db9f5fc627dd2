"""Tests for docclean.strokes: the stroke-width estimate the engine uses to clean wide strokes
at a lower resolution."""

import cv2
import numpy as np
import pytest

from docclean.strokes import HALF_ABOVE, stroke_width


def ruled_page(width: int, shape: tuple[int, int] = (600, 800), lines: int = 5, ink: float = 0.2) -> np.ndarray:
    """Grey paper with dark slanted lines and a ring, all ``width`` pixels wide, of grey ``ink``."""
    page = np.full(shape, 0.85, np.float32)
    h, w = shape
    for i in range(lines):
        y = (i + 1) * h // (lines + 1)
        cv2.line(page, (w // 16, y), (w - w // 16, y + h // 30), ink, width - 1)  # OpenCV draws thickness + 1
    cv2.circle(page, (w // 2, h // 2), min(h, w) // 5, ink + 0.1, width - 1)
    return page


@pytest.mark.parametrize("width", [3, 9, 21])
def test_the_width_of_ruled_strokes_is_found(width):
    assert stroke_width(ruled_page(width)) == pytest.approx(width, abs=1)


def test_uint8_pages_give_the_same_figure():
    page = ruled_page(7)
    assert stroke_width((page * 255).round().astype(np.uint8)) == pytest.approx(stroke_width(page), abs=0.5)


def test_speckle_inside_a_stroke_does_not_split_it():
    page = ruled_page(15)
    rng = np.random.default_rng(0)
    noisy = np.clip(page + rng.normal(0, 0.06, page.shape).astype(np.float32), 0, 1)
    assert stroke_width(noisy) == pytest.approx(15, abs=2)


def test_blank_paper_has_no_strokes():
    rng = np.random.default_rng(1)
    grain = np.clip(0.8 + rng.normal(0, 0.01, (300, 400)), 0, 1).astype(np.float32)
    assert stroke_width(np.full((300, 400), 0.8, np.float32)) == 0.0
    assert stroke_width(grain) == 0.0


def test_a_large_page_is_measured_at_half_resolution_to_within_two_pixels():
    page = ruled_page(15, shape=(2000, 2400), lines=8)
    assert page.size > HALF_ABOVE
    assert stroke_width(page) == pytest.approx(15, abs=2)


def on_dark_lid(page: np.ndarray, margin: int = 60) -> np.ndarray:
    """``page`` lying on a dark scanner lid with a little grain, three times as wide as its margin."""
    h, w = page.shape
    frame = 0.12 + np.random.default_rng(0).normal(0, 0.01, (h + 2 * margin, w + 6 * margin)).astype(np.float32)
    frame[margin:margin + h, 3 * margin:3 * margin + w] = page
    return frame


@pytest.mark.parametrize("ink", [0.2, 0.6])
def test_the_scanner_lid_is_left_out(ink):
    from docclean.surround import surround_areas

    frame = on_dark_lid(ruled_page(3, ink=ink))
    lid = surround_areas(frame)
    assert lid is not None
    assert stroke_width(frame, lid) == pytest.approx(3, abs=1)
    if ink > 0.5:  # faint print: the lid's edge, counted, read as a 45-pixel stroke
        assert stroke_width(frame) > 20


def with_black_box(page: np.ndarray) -> np.ndarray:
    """``page`` with a solid black box (a logo) pasted on it."""
    page = page.copy()
    page[40:200, 450:700] = 0.1
    return page


@pytest.mark.parametrize("frame", [on_dark_lid(ruled_page(3, ink=0.6)), with_black_box(ruled_page(3, ink=0.6))],
                         ids=["on a dark lid", "with a black box"])
def test_a_faint_page_is_cleaned_once_whatever_dark_area_lies_beside_it(frame):
    from docclean.engine import Denoiser
    from docclean.settings import CleanSettings

    class Counting:
        name, device, precision, multiple, metadata = "counting", "cpu", "fp32", 4, {}

        def __init__(self) -> None:
            self.shapes: set[tuple[int, int]] = set()

        def run(self, tiles: np.ndarray) -> np.ndarray:
            self.shapes.add(tiles.shape[1:])
            return tiles

    backend = Counting()
    den = Denoiser(backend, tile_size=256, overlap=16, max_stroke=CleanSettings().max_stroke, keep_solids=True)
    den.clean(frame)
    assert len(backend.shapes) == 1  # no second, shrunk pass (its tiles would have another shape)
