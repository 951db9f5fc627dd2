"""Tests for docclean.bars: which dark areas are label bars (black bars with white writing, too
narrow for a solid area), and what putting them back does, alone and in the engine."""

import cv2
import numpy as np

from docclean import Denoiser
from docclean.bars import label_bars, restore_bars
from docclean.solids import solid_areas
from tests.docclean.pages import Greyer, Hollower, letter_rows


def text_page(h: int = 300, w: int = 500) -> np.ndarray:
    """White paper with rows of 3-pixel 'letters', as a crisp form's text."""
    return letter_rows((h, w), 1.0, range(20, h - 20, 30), range(20, w - 20, 14), ink=0.05)


def bar(page: np.ndarray, y: int, x: int, label: str = "Current Budget", height: int = 20,
        white: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Draws a black bar ``height`` high with ``label`` in white in it (none when not ``white``):
    its area and its letters."""
    scale, thick = height / 34, max(1, round(height / 14))
    (tw, _), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    area = np.zeros(page.shape, bool)
    area[y:y + height, x:x + tw + 2 * height] = True
    letters = np.zeros(page.shape, np.uint8)
    cv2.putText(letters, label, (x + height, y + int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, scale, 1, thick)
    letters = (letters > 0) & area & white
    page[area] = 0.02
    page[letters] = 1.0
    return area, letters


def test_a_label_bar_too_narrow_for_a_solid_area_is_found_with_its_letters():
    page = text_page()
    page[90:170] = 1.0
    area, letters = bar(page, 100, 60)
    assert solid_areas(page) is None  # 20 pixels high: no seed square fits
    found = label_bars(page)
    assert found is not None and found[area].all() and found[letters].all()
    assert not found[~cv2.dilate(area.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)].any()


def test_a_bar_cut_by_a_letter_as_high_as_it_is_found_whole():
    page = text_page()
    page[90:170] = 1.0
    area, _ = bar(page, 100, 60, "Adjustment")
    page[100:120, 150:152] = 1.0  # a white stroke from the bar's top to its foot
    found = label_bars(page)
    assert found is not None and found[area].all()


def test_a_black_bar_without_writing_is_left_to_the_network():
    page = text_page()
    page[90:170] = 1.0
    bar(page, 100, 60, white=False)
    assert label_bars(page) is None


def test_a_bold_word_is_no_bar():
    page = text_page()
    page[90:170] = 1.0
    word = np.zeros(page.shape, np.uint8)
    cv2.putText(word, "BOLD HEADING", (60, 140), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 6)
    page[word > 0] = 0.02
    assert label_bars(page) is None


def test_a_thick_stem_with_white_specks_is_no_bar():
    page = text_page()
    page[90:210] = 1.0
    page[100:200, 200:220] = 0.02  # a big letter's stem in a receipt's thermal print
    for y in range(104, 196, 6):
        for x in range(203, 217, 5):
            page[y:y + 2, x:x + 2] = 1.0  # its white grain: specks of four pixels
    assert label_bars(page) is None


def test_writing_that_breaks_a_bars_long_sides_is_no_bar():
    page = text_page()
    page[90:170] = 1.0
    page[100:124, 60:260] = 0.02  # a bold word's letters run together ...
    for x in range(66, 256, 10):
        page[100:118, x:x + 4] = 1.0  # ... the gaps between them open at its top

    assert label_bars(page) is None


def test_a_short_box_or_a_round_seal_with_white_writing_is_no_bar():
    # (the seal is no rectangle, and its long sides are no bar's either: both rules refuse it)
    for shape in ("box", "seal"):
        page = text_page()
        page[80:180] = 1.0
        mask = np.zeros(page.shape, np.uint8)
        if shape == "box":
            mask[100:124, 100:160] = 1
        else:
            cv2.ellipse(mask, (200, 130), (90, 30), 0, 0, 360, 1, -1)
        page[mask > 0] = 0.02
        letters = np.zeros(page.shape, np.uint8)
        cv2.putText(letters, "TAX" if shape == "box" else "APPROVED", (110 if shape == "box" else 140, 119),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.55, 1, 1)
        page[(letters > 0) & (mask > 0)] = 1.0
        assert label_bars(page) is None, shape


def test_a_dark_area_that_fades_into_grey_is_no_bar():
    page = text_page()
    page[70:190] = 1.0
    page[85:135, 45:350] = 0.4  # a shadow or a stain ...
    area, _ = bar(page, 100, 60)  # ... whose darkest core has paler marks in it
    assert area.any() and label_bars(page) is None


def test_a_bar_at_the_page_edge_is_left_alone():
    page = text_page()
    page[:40] = 1.0
    bar(page, 0, 60)
    assert label_bars(page) is None


def test_restore_puts_the_bar_back_black_with_white_letters_and_leaves_the_rest():
    page = text_page()
    page[90:170] = 1.0
    area, letters = bar(page, 100, 60)
    grey = np.full_like(page, 0.5)  # what the network drew there: grey
    out = restore_bars(page, grey.copy())
    fill = area & ~cv2.dilate(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert out[fill].mean() < 0.05 and out[letters].mean() > 0.95
    outside = ~cv2.dilate(area.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    np.testing.assert_array_equal(out[outside], grey[outside])


def test_a_bar_the_network_drew_black_stays_as_it_drew_it():
    page = text_page()
    page[90:170] = 1.0
    area, letters = bar(page, 100, 60)
    drawn = np.where(letters, 1.0, np.where(area, 0.0, 1.0)).astype(np.float32)  # blacker than the scan
    page[area & ~letters] = 0.1
    out = restore_bars(page, drawn.copy())
    np.testing.assert_array_equal(out, drawn)


def bar_page() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A page of text with one label bar: the page, the bar's black fill (away from its letters)
    and its white letters."""
    page = text_page()
    page[90:170] = 1.0
    area, letters = bar(page, 100, 60)
    fill = area & ~cv2.dilate(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return page, fill, letters


def test_the_engine_keeps_label_bars_with_solid_areas():
    page, fill, _ = bar_page()
    kept = Denoiser(Hollower(), tile_size=256, overlap=16, keep_solids=True).clean(page)
    lost = Denoiser(Hollower(), tile_size=256, overlap=16, keep_solids=False).clean(page)
    assert kept[fill].mean() < 0.1 and lost[fill].mean() == 1.0


def test_the_engine_keeps_a_label_bars_white_letters_when_the_model_greys_them():
    page, fill, letters = bar_page()
    kept = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=True).clean(page)
    lost = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=False).clean(page)
    assert kept[fill].mean() < 0.1 and kept[letters].mean() > 0.9
    assert abs(lost[letters].mean() - 0.5) < 0.01 and abs(lost[fill].mean() - 0.5) < 0.01
