"""The ink-loss guard on strokes much wider than its paper window (docclean.inkwide.wide_strokes): a
wide initial or heading whose inside cleaning turned to paper (its edges kept, as the network draws
a stain) is lost ink, the same stroke kept is not, and a stain, a shadow or a shaded box cleared is
not either."""

import cv2
import numpy as np
import pytest

from docclean import inkwide
from docclean.inkloss import ink_loss
from docclean.synth import render_page
from docclean.synth.fields import stain_field

#: Over 4 million pixels: the guard's half-resolution path, as for a 300- or 600-dpi A4 page.
BIG = (2200, 2000)


def initial(shape: tuple[int, int], stroke: int, top: int = 300, left: int = 300) -> np.ndarray:
    """A wide initial (a serif-less "E": a stem and three arms, ``stroke`` px wide), bool."""
    ink = np.zeros(shape, bool)
    height, width = 6 * stroke, 4 * stroke
    ink[top:top + height, left:left + stroke] = True
    for y in (top, top + height // 2 - stroke // 2, top + height - stroke):
        ink[y:y + stroke, left:left + width] = True
    return ink


def page_with(shape: tuple[int, int], ink: np.ndarray, grey: float, paper: float = 0.85,
              seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A scan of a page with ``ink`` drawn ``grey`` in its upper part and text in its lower third
    (a soft edge, noise), and its clean page (the text and the ink, black on white)."""
    rng = np.random.default_rng(seed)
    text = render_page(shape[1], shape[0], dpi=300, font_pt=10)
    text[: shape[0] * 2 // 3] = 1.0
    clean = np.where(ink, 0.0, text).astype(np.float32)
    scan = paper * text
    scan[ink] = grey * paper
    scan = cv2.GaussianBlur(scan.astype(np.float32), (0, 0), 1.0)
    scan += rng.normal(0, 0.02, shape).astype(np.float32)
    return np.clip(scan, 0, 1).astype(np.float32), clean


def outlined(clean: np.ndarray, area: np.ndarray, width: int = 4) -> np.ndarray:
    """``clean`` with the edge of ``area`` drawn dark, as the network outlines what it clears."""
    inner = cv2.erode(area.astype(np.uint8), np.ones((2 * width + 1,) * 2, np.uint8)).astype(bool)
    return np.where(area & ~inner, np.float32(0.3), clean).astype(np.float32)


def hollow(clean: np.ndarray, ink: np.ndarray, rim: int = 6) -> np.ndarray:
    """``clean`` with ``ink`` deeper than ``rim`` px turned to paper: its edges kept, its inside gone."""
    depth = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5)
    out = clean.copy()
    out[depth > rim] = 1.0
    return out


@pytest.mark.parametrize("stroke, grey, shape", [(100, 0.1, BIG), (60, 0.45, BIG), (40, 0.1, (1200, 1000)),
                                                 (30, 0.5, (1200, 1000))])
def test_a_wide_stroke_hollowed_is_lost_ink(stroke: int, grey: float, shape: tuple[int, int]) -> None:
    ink = initial(shape, stroke)
    scan, clean = page_with(shape, ink, grey)
    assert ink_loss(scan, hollow(clean, ink)) > 0.1  # over the warning (0.15-0.40); was 0.000-0.004


@pytest.mark.parametrize("stroke, grey, shape", [(100, 0.1, BIG), (60, 0.45, BIG), (30, 0.5, (1200, 1000))])
def test_a_wide_stroke_kept_is_no_lost_ink(stroke: int, grey: float, shape: tuple[int, int]) -> None:
    ink = initial(shape, stroke)
    scan, clean = page_with(shape, ink, grey)
    assert ink_loss(scan, clean) < 0.01
    assert ink_loss(scan, np.where(clean < 0.5, grey, 1.0).astype(np.float32)) < 0.01  # drawn grey, as scanned


def test_a_kept_wide_stroke_does_not_dilute_the_loss_of_the_text_beside_it() -> None:
    ink = initial(BIG, 100)
    scan, clean = page_with(BIG, ink, 0.1)
    erased = clean.copy()
    erased[:, BIG[1] // 2:] = np.where(ink[:, BIG[1] // 2:], erased[:, BIG[1] // 2:], 1.0)  # the text's right half
    text_scan, text_clean = page_with(BIG, np.zeros(BIG, bool), 0.1)
    text_erased = text_clean.copy()
    text_erased[:, BIG[1] // 2:] = 1.0
    assert ink_loss(scan, erased) > 0.3
    assert ink_loss(scan, erased) >= ink_loss(text_scan, text_erased) - 0.1


def stained(shape: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Text under coffee stains and a soft shadow, and the text alone (stains and shadow cleared)."""
    rng = np.random.default_rng(seed)
    text = render_page(shape[1], shape[0], dpi=300, font_pt=10)
    scan = 0.9 * text
    for _ in range(3):
        scan = scan * stain_field(*shape, rng)
    yy = np.linspace(0, 1, shape[0], dtype=np.float32)[:, None]
    scan = scan * (1 - 0.4 * yy**2)  # a shadow darkening towards the bottom
    return cv2.GaussianBlur(scan.astype(np.float32), (0, 0), 1.0), text


def test_stains_and_a_shadow_cleared_are_no_lost_ink() -> None:
    for seed in range(3):
        scan, text = stained((1200, 1000), seed)
        assert ink_loss(scan, text) < 0.04  # a stain's rim beside a letter reads a little, as before


def test_a_dark_mottled_blot_over_text_cleared_is_no_lost_ink() -> None:
    """A dark coffee spill with text under it (as on the Dirty Documents pages): its inside is
    mottled and holds writing."""
    rng = np.random.default_rng(1)
    text = render_page(1000, 1200, dpi=300, font_pt=10)
    blot = np.zeros(text.shape, np.float32)
    cv2.ellipse(blot, (500, 600), (220, 120), 20, 0, 360, 1.0, -1)
    spots = rng.uniform(0.3, 0.55, (30, 25)).astype(np.float32)
    mottle = cv2.resize(spots, (1000, 1200), interpolation=cv2.INTER_CUBIC)
    scan = 0.9 * text * np.where(blot > 0, mottle, 1.0)
    scan = cv2.GaussianBlur(scan.astype(np.float32), (0, 0), 1.5)
    assert ink_loss(scan, text) < 0.02
    assert ink_loss(scan, outlined(text, blot > 0)) < 0.02  # cleared, its outline kept


@pytest.mark.parametrize("tint, writing", [(0.45, True), (0.6, True), (0.45, False), (0.7, False)])
def test_a_shaded_box_cleared_is_no_lost_ink(tint: float, writing: bool) -> None:
    """A form's shaded box (sharp-edged, grey), with writing on it or empty, cleared to paper."""
    text = render_page(1000, 1200, dpi=300, font_pt=10)
    box = (slice(300, 520), slice(150, 850))
    if not writing:
        text[box] = 1.0
    scan = 0.9 * text
    scan[box] *= tint
    scan = cv2.GaussianBlur(scan.astype(np.float32), (0, 0), 1.0)
    assert ink_loss(scan, text) < 0.02
    area = np.zeros(text.shape, bool)
    area[box] = True
    assert ink_loss(scan, outlined(text, area)) < 0.02  # cleared, its outline kept, as the network does


def test_wide_strokes_finds_the_initial_and_neither_stains_nor_shaded_boxes() -> None:
    ink = initial(BIG, 100)
    scan, _ = page_with(BIG, ink, 0.1)
    found = inkwide.wide_strokes(scan[::2, ::2])  # the guard judges a page this large at half size
    assert found is not None and (found[ink[::2, ::2]] > 0).mean() > 0.5
    assert not (found[~ink[::2, ::2]] > 0).any()
    for seed in range(3):
        assert inkwide.wide_strokes(stained((1200, 1000), seed)[0]) is None
    text = render_page(1000, 1200, dpi=300, font_pt=10)
    boxed = 0.9 * text
    boxed[300:520, 150:850] *= 0.45
    assert inkwide.wide_strokes(cv2.GaussianBlur(boxed.astype(np.float32), (0, 0), 1.0)) is None
