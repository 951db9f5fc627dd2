"""Tests for docclean.ruled: faint writing between two rules (a form's box), which the network
clears, is cleaned again with the rules painted out and comes out as it does on open paper; a
halftone-shaded cell stays cleared; a page without two rules near each other is left as it was."""

import cv2
import numpy as np

from docclean.engine import Denoiser
from docclean.ruled import BAND, ruled_bands
from docclean.settings import CleanSettings

PAPER = 0.9


class BandClearer:
    """A stand-in network that does what the real one does near rules: dark marks stay black and
    faint ones are drawn darker, except what lies in a band between two dark horizontal rules
    (within 60 pixels of one above and one below), which turns to paper."""

    name, device, precision, multiple, metadata = "bandclearer", "cpu", "fp32", 4, {}

    def __init__(self, open_grey: float = 0.3) -> None:
        self.open_grey = open_grey  # what faint marks on open paper come out as

    def run(self, tiles: np.ndarray) -> np.ndarray:
        out = np.ones_like(tiles, dtype=np.float32)
        for i, tile in enumerate(tiles):
            dark = (tile < 0.45).astype(np.uint8)
            rules = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((1, 41), np.uint8))
            k = np.ones((60, 1), np.uint8)
            band = (cv2.dilate(rules, k, anchor=(0, 0)) & cv2.dilate(rules, k, anchor=(0, 59))).astype(bool)
            faint = (tile < 0.8) & ~dark.astype(bool)
            out[i][faint] = self.open_grey
            out[i][dark.astype(bool)] = 0.1
            out[i][band & ~rules.astype(bool)] = 1.0
        return out


def pencil(page: np.ndarray, y: int, x0: int, x1: int, grey: float = 0.7) -> np.ndarray:
    """Short 2-pixel strokes of ``grey`` (handwriting's stand-in) along a line from x0 to x1; their mask."""
    mask = np.zeros(page.shape, bool)
    for x in range(x0, x1, 7):
        mask[y:y + 14, x:x + 2] = True
    page[mask] = grey
    return mask


def form(shading: bool = False, second_rule: bool = True, grey: float = 0.7
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A page with a box (rules at rows 100 and 150) holding pencil, or a halftone shading when
    ``shading``, and the same pencil on open paper below; the masks of what is in the box and in
    the open."""
    page = np.full((400, 640), PAPER, np.float32)
    page[100:102, 40:600] = 0.1
    if second_rule:
        page[150:152, 40:600] = 0.1
    if shading:
        boxed = np.zeros(page.shape, bool)
        for dy in (0, 1):  # dark dots of 2 x 2 pixels, every fourth pixel
            for dx in (0, 1):
                boxed[106 + dy:146:4, 44 + dx:596:4] = True
        page[boxed] = 0.15
    else:
        boxed = pencil(page, 118, 60, 560, grey)
    open_paper = pencil(page, 300, 60, 560, grey)
    return cv2.GaussianBlur(page, (0, 0), 0.5), boxed, open_paper


def cleaner(open_grey: float = 0.3) -> Denoiser:
    return Denoiser(BandClearer(open_grey), tile_size=512, overlap=16, keep_box_writing=True)


def without_step(den: Denoiser, page: np.ndarray) -> np.ndarray:
    """The page as the network alone draws it: the same cleaner with ``keep_box_writing`` off."""
    was, den.keep_box_writing = den.keep_box_writing, False
    try:
        return den.clean(page)
    finally:
        den.keep_box_writing = was


def test_faint_writing_in_a_box_comes_out_as_on_open_paper():
    page, boxed, open_paper = form()
    den = cleaner()
    before = without_step(den, page)
    assert before[boxed].mean() > 0.95 and before[open_paper].mean() < 0.5  # the stand-in cleared the box
    after = den.clean(page)
    assert after[boxed].mean() < 0.5
    assert (after[boxed] < 0.5).mean() > 0.9
    # The rules and the writing on open paper are as the network drew them.
    far = np.ones(page.shape, bool)
    far[90:160] = False
    np.testing.assert_array_equal(after[far], before[far])
    assert (after[100:102, 60:580] < 0.2).all()


def test_faint_writing_that_auto_levels_darkens_is_still_faint():
    # A page of little but pencil and two thin rules is low in contrast: auto levels stretches it,
    # and the pencil would pass for dark ink (a halftone's dots) if judged after that.
    page, boxed, open_paper = form(grey=0.6)
    den = Denoiser(BandClearer(), tile_size=512, overlap=16, auto_levels=True, keep_box_writing=True)
    assert without_step(den, page)[boxed].mean() > 0.95
    after = den.clean(page)
    assert (after[boxed] < 0.5).mean() > 0.9


def test_a_halftone_shaded_cell_stays_cleared():
    # Its dots are dark: not faint writing (the real network was taught to clear shaded cells).
    page, boxed, _ = form(shading=True)
    den = cleaner()
    before = without_step(den, page)
    assert before[boxed].mean() > 0.95
    np.testing.assert_array_equal(den.clean(page), before)


def test_marks_that_open_paper_would_clear_too_stay_cleared():
    # Grain between rules that the network leaves nearly as light without them (0.95 against 1.0):
    # the darker of two cleans would only darken it.
    page, _, _ = form()
    den = cleaner(open_grey=0.95)
    np.testing.assert_array_equal(den.clean(page), without_step(den, page))


def test_specks_between_rules_are_no_writing():
    page = np.full((400, 640), PAPER, np.float32)
    page[100:102, 40:600] = page[150:152, 40:600] = 0.1
    for y in range(110, 140, 12):  # specks of 2 x 2 pixels, faint
        for x in range(60, 560, 12):
            page[y:y + 2, x:x + 2] = 0.55
    den = cleaner()
    np.testing.assert_array_equal(den.clean(page), without_step(den, page))


def test_a_page_without_two_rules_near_each_other_is_left_as_it_was():
    page, _, _ = form(second_rule=False)
    assert ruled_bands(page, PAPER) is None
    den = cleaner()
    np.testing.assert_array_equal(den.clean(page), without_step(den, page))


def test_bands_lie_between_two_rules_and_a_stain_is_no_rule():
    page, _, _ = form()
    rules, band = ruled_bands(page, PAPER)
    assert rules[100, 300] and rules[150, 300] and not rules[125, 300]
    assert band[125, 300] and not band[60, 300] and not band[200, 300]
    far = np.full((640, 640), PAPER, np.float32)
    far[100:102, 40:600] = far[100 + BAND + 20:102 + BAND + 20, 40:600] = 0.1
    assert ruled_bands(far, PAPER) is None  # too far apart to be a box
    double = np.full((400, 640), PAPER, np.float32)
    double[100:102, 40:600] = double[108:110, 40:600] = 0.1
    assert ruled_bands(double, PAPER) is None  # a double rule is one rule
    stained = np.full((400, 640), PAPER, np.float32)
    cv2.circle(stained, (320, 200), 120, 0.3, 30)  # a coffee ring: long runs, but thick ones
    assert ruled_bands(stained, PAPER) is None


def test_the_step_is_on_by_default_and_the_setting_turns_it_off():
    page, boxed, _ = form()
    network = BandClearer()
    on = Denoiser.with_backend(network, CleanSettings(tile_size=512, overlap=16, auto_levels=False))
    off = Denoiser.with_backend(network, CleanSettings(tile_size=512, overlap=16, auto_levels=False,
                                                       keep_box_writing=False))
    assert (on.clean(page)[boxed] < 0.5).mean() > 0.9
    assert off.clean(page)[boxed].mean() > 0.95
