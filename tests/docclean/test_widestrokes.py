"""Tests for docclean.widestrokes: a wide stroke in one part of a page (a large initial on a page of
text), which the network hollows, is cleaned again shrunk and keeps its inside; a page without one is
left exactly as the network and the other steps made it."""

import cv2
import numpy as np
import pytest

import docclean.engine as engine
from docclean.engine import Denoiser
from docclean.strokes import stroke_width

PAPER = 0.9


class EdgeKeeper:
    """A stand-in network that does to dark areas what the real one does: what lies within
    :attr:`reach` pixels of a sharp edge is kept as ink, the rest turns to paper. Thin strokes stay
    whole, a wide stroke comes out as its outline, and a soft stain (no sharp edge) goes whole."""

    name, device, precision, multiple, metadata = "edgekeeper", "cpu", "fp32", 4, {}
    reach = 8

    def run(self, tiles: np.ndarray) -> np.ndarray:
        out = np.ones_like(tiles, dtype=np.float32)
        square = np.ones((3, 3), np.uint8)
        near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * self.reach + 1,) * 2)
        for i, tile in enumerate(tiles):
            dark = (tile < 0.65).astype(np.uint8)
            sharp = cv2.morphologyEx(tile, cv2.MORPH_GRADIENT, square) > 0.2
            kept = cv2.dilate((sharp & dark.astype(bool)).astype(np.uint8), near).astype(bool) & dark.astype(bool)
            out[i][kept] = 0.1
        return out


def text_page(shape: tuple[int, int] = (640, 640)) -> np.ndarray:
    """Paper with rows of short 3-pixel-wide dark bars (text) down its right half and bottom."""
    page = np.full(shape, PAPER, np.float32)
    h, w = shape
    for y in range(40, h - 40, 24):
        for x in range(40, w - 40, 9):
            if x > w // 2 or y > h // 2:
                page[y:y + 12, x:x + 3] = 0.15
    return page


def with_initial(page: np.ndarray, grey: float = 0.45, width: int = 60
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``page`` with a thick ring (an initial 'O', strokes ``width`` wide, ``grey``) in its top-left
    quarter, lightly blurred like a scan; the ring's mask, and its inner pixels (eroded by 4)."""
    ring = np.zeros(page.shape, np.uint8)
    cv2.circle(ring, (160, 160), 110, 1, width)
    page = page.copy()
    page[ring.astype(bool)] = grey
    inside = cv2.erode(ring, np.ones((9, 9), np.uint8)).astype(bool)
    return cv2.GaussianBlur(page, (0, 0), 0.7), ring.astype(bool), inside


def cleaner(max_stroke: int = 11) -> Denoiser:
    return Denoiser(EdgeKeeper(), tile_size=256, overlap=16, max_stroke=max_stroke)


def without_step(den: Denoiser, page: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    with monkeypatch.context() as patch:
        patch.setattr(engine, "hollowed_strokes", lambda *args, **kwargs: [], raising=False)
        return den.clean(page)


@pytest.mark.parametrize("grey", [0.2, 0.45, 0.55])
def test_a_wide_initial_on_a_page_of_text_keeps_its_inside(grey, monkeypatch):
    page, ring, inside = with_initial(text_page(), grey)
    # The page's typical stroke is the text's: the page-wide second pass does not run ...
    assert stroke_width(page) < 11
    den = cleaner()
    hollow = without_step(den, page, monkeypatch)
    assert (hollow[inside] > (grey + 1) / 2).mean() > 0.5  # ... and the stand-in hollows the ring
    out = den.clean(page)
    assert (out[inside] > (grey + 1) / 2).mean() < 0.02
    # Only the ring changed (with its blurred edge): the text and the paper are as the network drew them.
    changed = out != hollow
    assert cv2.dilate(ring.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)[changed].all()


def test_max_stroke_0_turns_the_step_off_with_the_page_wide_pass(monkeypatch):
    page, _, _ = with_initial(text_page())
    den = cleaner(max_stroke=0)
    np.testing.assert_array_equal(den.clean(page), without_step(den, page, monkeypatch))


def stained_page() -> np.ndarray:
    """Text with a wide soft stain (no sharp edge: the stand-in clears it whole), a thin ring
    (strokes 10 px: kept whole) and an empty grey box (a rectangle: left to the network)."""
    page = text_page()
    yy, xx = np.mgrid[0:640, 0:640].astype(np.float32)
    blob = ((yy - 150) ** 2 + (xx - 170) ** 2 < 90 ** 2).astype(np.float32)
    page *= 1 - 0.6 * cv2.GaussianBlur(blob, (0, 0), 12)
    cv2.circle(page, (480, 150), 60, 0.3, 10)
    page[420:560, 80:280] = 0.45
    return cv2.GaussianBlur(page, (0, 0), 0.7)


def test_a_page_without_wide_strokes_is_left_as_it_was(monkeypatch):
    from docclean.widestrokes import hollowed_strokes

    page = stained_page()
    den = cleaner()
    before = without_step(den, page, monkeypatch)
    assert (before[120:180, 140:200] == 1).all()  # the stand-in cleared the stain
    looked: list[list] = []

    def spy(*args, **kwargs):
        looked.append(hollowed_strokes(*args, **kwargs))
        return looked[-1]

    monkeypatch.setattr(engine, "hollowed_strokes", spy, raising=False)
    after = den.clean(page)
    # The engine looked for hollowed wide strokes, found none (not the stain, the thin ring or the
    # grey box), and left the page exactly as it was.
    assert looked == [[]]
    np.testing.assert_array_equal(after, before)
