"""Tests for docclean.solids: which dark areas count as solid black areas, and what putting them
back does, alone and in the engine."""

import cv2
import numpy as np

from docclean import Denoiser
from docclean.settings import CleanSettings
from docclean.solids import restore_solids, solid_areas
from tests.docclean.pages import Greyer, Hollower, letter_rows


def text_page(h: int = 400, w: int = 600) -> np.ndarray:
    """Grey paper with lines of 3-pixel 'letters' (short dark bars), none of them solid."""
    return letter_rows((h, w), 0.85, range(20, h - 20, 30), range(20, w - 20, 14))


def band_page() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text page with a black band holding white writing; the band's area and its letters."""
    page = text_page()
    band = np.zeros(page.shape, bool)
    band[150:230, 100:500] = True
    page[band] = 0.1
    letters = np.zeros(page.shape, np.uint8)
    cv2.putText(letters, "TOTAL DUE 47.11", (110, 205), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 1, 3)
    letters = letters.astype(bool) & band
    page[letters] = 0.9
    return page, band, letters


def test_a_text_page_has_no_solid_areas():
    assert solid_areas(text_page()) is None


def test_a_black_box_is_solid_and_a_small_one_is_not():
    page = text_page()
    page[100:200, 200:320] = 0.1
    page[300:320, 50:70] = 0.1  # 20 px: the network keeps boxes this small
    areas = solid_areas(page)
    assert areas is not None
    assert areas[105:195, 205:315].all()
    assert not areas[300:320, 50:70].any()
    assert areas.sum() < 1.1 * 100 * 120


def test_a_band_is_solid_and_its_white_writing_is_left_to_the_network():
    page, band, letters = band_page()
    areas = solid_areas(page)
    fill = band & ~cv2.dilate(letters.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert areas is not None and areas[fill].mean() > 0.95  # (dark pockets inside an O may be left)
    assert not areas[cv2.erode(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)].any()


def test_the_inside_of_a_thick_black_frame_is_left_to_the_network():
    page = text_page(500, 600)
    frame = np.zeros(page.shape, bool)
    frame[40:460, 40:560] = True
    frame[80:420, 80:520] = False
    page[frame] = 0.05  # a photocopy's black border around the page it copied
    areas = solid_areas(page)
    assert areas is not None and areas[frame].mean() > 0.95
    assert not areas[100:400, 100:500].any()


def test_a_box_joined_to_table_rules_is_still_solid():
    page = text_page()
    page[90:92, :] = 0.1  # rules of a table run into a black header cell
    page[90:300, 300:302] = 0.1
    page[92:140, 100:300] = 0.1
    areas = solid_areas(page)
    assert areas is not None and areas[95:135, 105:295].all()
    assert not areas[200:300, 300:302].any()


def test_a_round_black_mark_is_solid_too():
    page = text_page()
    cv2.circle(page, (150, 150), 45, 0.1, -1)  # a black seal, a logo, a punch hole on black backing
    areas = solid_areas(page)
    assert areas is not None and areas[120:180, 120:180].all() and areas.sum() < 1.1 * np.pi * 45 ** 2


def test_fading_and_edge_areas_are_left_to_the_network():
    page = text_page()
    page[:, :50] = 0.05  # the scanner's dark surround, touching the edge
    stain = np.zeros_like(page)
    stain[250:350, 350:500] = 1
    stain = cv2.GaussianBlur(stain, (0, 0), 25)
    page = page * (1 - 0.9 * stain / stain.max())  # a shapeless dark stain
    assert solid_areas(page) is None


def test_restore_puts_the_band_back_black_with_white_writing():
    page, band, letters = band_page()
    hollowed = np.where(band & ~letters, 1.0, np.where(letters, 1.0, page)).astype(np.float32)
    out = restore_solids(page, hollowed.copy())
    fill = band & ~cv2.dilate(letters.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert abs(out[fill].mean() - 0.1 / 0.85) < 0.02  # the scan's grey, its paper made white
    assert out[letters].mean() > 0.9
    # (dark strokes within a few pixels of the band come back as scanned too)
    outside = ~cv2.dilate(band.astype(np.uint8), np.ones((31, 31), np.uint8)).astype(bool)
    np.testing.assert_array_equal(out[outside], hollowed[outside])


def test_grey_shading_is_not_solid_and_dark_shading_keeps_its_writing_darker():
    for shade, solid in ((0.5, False), (0.2, True)):
        page = text_page()
        page[100:250, 100:500] = shade
        writing = np.zeros(page.shape, bool)
        writing[140:200:12, 120:480] = True  # black rules of writing on the shading
        page[writing] = 0.03
        areas = solid_areas(page)
        assert (areas is not None and areas[110:240, 110:490].all()) == solid
        out = restore_solids(page, np.ones_like(page))
        fill = np.zeros(page.shape, bool)
        fill[215:245, 110:490] = True
        assert out[writing].mean() < out[fill].mean() - 0.1 if solid else (out == 1).all()


def test_restore_leaves_a_page_without_solid_areas_alone():
    page = text_page()
    cleaned = np.ones_like(page)
    assert restore_solids(page, cleaned) is cleaned and (cleaned == 1).all()


def test_the_engine_keeps_solid_areas_when_asked():
    page, band, letters = band_page()
    fill = band & ~cv2.dilate(letters.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    kept = Denoiser(Hollower(), tile_size=256, overlap=16, keep_solids=True).clean(page)
    lost = Denoiser(Hollower(), tile_size=256, overlap=16, keep_solids=False).clean(page)
    assert kept[fill].mean() < 0.15 and lost[fill].mean() == 1.0
    assert CleanSettings().keep_solids and CleanSettings().engine_key() != CleanSettings(keep_solids=False).engine_key()


def test_a_band_joined_to_the_surround_by_a_thin_line_is_solid_with_its_writing():
    # A microfilm frame: the scanner's dark surround down the left edge, a black band with the
    # frame's number in white on the page, joined to the surround by a thin dark line.
    page, band, letters = band_page()
    page[:, :40] = 0.05  # the surround
    page[184:198, 40:100] = 0.05  # a dark line joining the band to it (wider than a stroke, narrower than a band)
    mask = solid_areas(page)
    assert mask is not None
    assert mask[band & ~letters].mean() > 0.9  # the band (as much of it as of a band inside the page) ...
    strokes = cv2.erode(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert mask[strokes].mean() > 0.97  # ... with its letters, put back as scanned
    assert not mask[:, :30].any()  # the surround is not solid
    restored = restore_solids(page, np.full_like(page, 0.5))
    assert restored[strokes].min() > 0.9 and restored[band & ~letters].mean() < 0.2


def test_the_engine_keeps_a_solid_band_and_the_white_writing_it_promises_whatever_the_model_draws():
    # Whatever the model draws, a solid band's fill comes back black. Its white writing comes back
    # as scanned where solid_areas takes the letters with it (a band hanging off the surround:
    # small_holes); in a band inside the page the letters are the network's by design.
    page, band, letters = band_page()
    fill = band & ~cv2.dilate(letters.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    kept = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=True).clean(page)
    lost = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=False).clean(page)
    assert kept[fill].mean() < 0.15 and abs(lost[fill].mean() - 0.5) < 0.01
    page[:, :40] = 0.05  # the scanner's surround, and a dark line joining the band to it
    page[184:198, 40:100] = 0.05
    strokes = cv2.erode(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    kept = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=True).clean(page)
    lost = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=False).clean(page)
    assert kept[fill].mean() < 0.15 and kept[strokes].mean() > 0.9 and kept[strokes].min() > 0.8
    assert abs(lost[strokes].mean() - 0.5) < 0.01  # the model alone greys the letters


def film_strip_page() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A microfilm frame's foot: the scanner's surround down the left edge runs into a black strip
    near the page's bottom; in the strip, a white notice label at the page's edge, as high as most
    of the strip, and bold white digits close together beside it. The page, the strip's black
    beside the label (above and below it, clear of the surround's corner) and the strip's black
    between and around the digits."""
    page = letter_rows((420, 500), 0.85, range(30, 260, 30), range(40, 480, 14))
    page[:300, :20] = 0.05  # the surround
    strip = np.zeros(page.shape, bool)
    strip[290:390, :460] = True
    page[strip] = 0.05
    page[320:375, :200] = 0.95  # the label: 30 pixels of black above it, 15 below
    page[330:365:12, 10:190] = 0.2  # its notice
    digits = np.zeros(page.shape, np.uint8)
    cv2.putText(digits, "77905", (212, 370), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 1, 6)  # bold, close together
    page[digits.astype(bool)] = 0.95
    beside = np.zeros(page.shape, bool)
    beside[290:317, 24:200] = beside[378:390, :200] = True
    between = np.zeros(page.shape, bool)
    between[300:380, 205:455] = True
    between &= ~cv2.dilate(digits, np.ones((7, 7), np.uint8)).astype(bool)
    return page, beside, between


def test_a_strip_cut_thin_by_a_label_at_the_page_edge_is_solid_beside_the_label():
    # Beside the label the strip is too thin for the seed square and runs to the page's edge: it
    # was neither solid nor surround, and the network drew it as a grey smear.
    page, beside, _ = film_strip_page()
    mask = solid_areas(page)
    assert mask is not None and mask[beside].all()
    assert not mask[:280, :30].any() and not mask[325:370, 5:195].any()  # not the surround, nor the label
    out = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=True, clear_surround=True).clean(page)
    assert out[beside].max() < 0.15


def test_the_black_between_the_white_digits_of_a_strip_hanging_off_the_surround_is_kept():
    # Cut off the strip with strokes (narrower than DETACH), it was left to the network, which drew
    # grey smudges between the digits.
    page, _, between = film_strip_page()
    mask = solid_areas(page)
    assert mask is not None and mask[between].all()
    out = Denoiser(Greyer(), tile_size=256, overlap=16, keep_solids=True, clear_surround=True).clean(page)
    assert out[between].max() < 0.15
