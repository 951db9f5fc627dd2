"""Tests for docclean.surround: which dark areas are the scanner's surround, what clearing it does
alone, in the engine and in the ink-loss guard."""

import cv2
import numpy as np

from docclean import Denoiser
from docclean.inkloss import ink_loss
from docclean.settings import CleanSettings
from docclean.surround import clear_surround, surround_areas
from tests.docclean.pages import letter_rows


def text_page(h: int = 300, w: int = 400) -> np.ndarray:
    """Paper with lines of 3-pixel 'letters' (short dark bars) right up to 12 px from its edge."""
    return letter_rows((h, w), 0.9, range(12, h - 24, 24), range(12, w - 12, 10))


def on_lid(page: np.ndarray, lid: float = 0.12, margin: int = 60) -> tuple[np.ndarray, tuple[slice, slice]]:
    """``page`` lying on a dark scanner lid (a little grain on it), and where it lies."""
    h, w = page.shape
    rng = np.random.default_rng(0)
    frame = (lid + rng.normal(0, 0.01, (h + 2 * margin, w + 2 * margin))).astype(np.float32)
    where = (slice(margin, margin + h), slice(margin, margin + w))
    frame[where] = page
    return frame, where


surround = surround_areas


def test_a_dark_lid_around_the_page_is_surround_and_the_page_is_not():
    frame, where = on_lid(text_page())
    mask = surround(frame)
    assert mask is not None
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    assert mask[lid].all()
    inner = (slice(where[0].start + 2, where[0].stop - 2), slice(where[1].start + 2, where[1].stop - 2))
    assert not mask[inner].any()  # not even the letters 12 px from the page's edge


def test_the_grey_step_from_a_black_lid_to_a_blurred_page_edge_is_no_lighter_patch():
    frame, where = on_lid(text_page(), lid=0.01)
    frame = cv2.GaussianBlur(frame, (0, 0), 2.5)  # a photographed receipt: its edge blurred into the black
    mask = surround(frame)
    lid = np.ones(frame.shape, bool)
    lid[where[0].start - 6:where[0].stop + 6, where[1].start - 6:where[1].stop + 6] = False
    assert mask is not None and mask[lid].all()  # right up to the blur: no dark rim left along the page


def test_a_page_without_a_surround_has_none():
    assert surround(text_page()) is None
    page = text_page()
    page[100:200, 150:250] = 0.05  # a black box inside the page is a solid area, not surround
    assert surround(page) is None


def test_white_writing_on_a_black_band_running_off_the_page_is_left_to_the_network():
    page = text_page()
    page[:80, :] = 0.08  # a letterhead's black band, printed to the sheet's edge
    letters = np.zeros(page.shape, np.uint8)
    cv2.putText(letters, "ACME LTD", (20, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, 1, 3)
    page[letters.astype(bool)] = 0.9
    mask = surround(page)
    near = cv2.dilate(letters, np.ones((41, 41), np.uint8)).astype(bool)
    assert mask is None or not mask[near].any()


def test_writing_in_a_dark_area_along_the_edge_is_left_to_the_network():
    page = text_page()
    page[:, :90] = 0.2  # a dark band along the edge (even, as a printed band is)
    writing = np.zeros(page.shape, bool)
    for x in range(15, 75, 9):
        writing[100:112, x:x + 3] = True  # a word of letters darker than the band
    page[writing] = 0.04
    mask = surround(page)
    near = cv2.dilate(writing.astype(np.uint8), np.ones((41, 41), np.uint8)).astype(bool)
    assert mask is None or not mask[near].any()


def test_dust_on_the_lid_and_the_shadow_along_the_page_do_not_stop_it():
    frame, where = on_lid(text_page())
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    for y, x in ((20, 30), (200, 25), (390, 480), (30, 300), (250, 500)):
        cv2.circle(frame, (x, y), 3, 0.8, -1)  # lone flecks of dust
    edge = cv2.dilate((~lid).astype(np.uint8), np.ones((13, 13), np.uint8)).astype(bool) & lid
    frame[edge] *= 0.5  # the page's shadow on the lid, along its edge
    mask = surround(frame)
    assert mask is not None and mask[lid].mean() > 0.95 and mask[edge].mean() > 0.98  # (not right by a fleck)


def test_clear_surround_paints_the_rim_white_and_keeps_the_page():
    frame, where = on_lid(text_page())
    rim = frame.copy()  # what the network gives: the lid whitened but a dark rim beside the page
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    near = cv2.dilate((~lid).astype(np.uint8), np.ones((31, 31), np.uint8)).astype(bool)
    rim[lid & ~near] = 1.0
    out = clear_surround(frame, rim.copy())
    assert (out[lid] == 1.0).all()
    np.testing.assert_array_equal(out[where][2:-2, 2:-2], rim[where][2:-2, 2:-2])


def test_clear_surround_leaves_a_page_without_one_alone():
    page = text_page()
    cleaned = page.copy()
    assert clear_surround(page, cleaned) is cleaned
    np.testing.assert_array_equal(cleaned, page)


def test_the_ink_guard_does_not_count_the_surround_as_strokes():
    frame, where = on_lid(text_page())
    whitened = frame.copy()
    whitened[where[0].start - 60:where[0].start, :] = 1.0  # the lid above the page turned white
    assert ink_loss(frame, whitened) < 0.01
    erased = whitened.copy()
    erased[where] = 0.9  # and the page's text erased too: still caught (but the letters next to
    assert ink_loss(frame, erased) > 0.5  # the lid left dark count as kept: it is within reach)


class Keeper:
    """A backend that keeps every dark pixel, as the network keeps the lid beside the page."""

    name, device, precision, multiple, metadata = "keeper", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        return np.where(tiles > 0.5, 1.0, tiles).astype(np.float32)


def test_the_engine_clears_the_surround_when_asked_and_the_setting_is_on_by_default():
    frame, where = on_lid(text_page())
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    cleared = Denoiser(Keeper(), tile_size=256, overlap=16, clear_surround=True).clean(frame)
    kept = Denoiser(Keeper(), tile_size=256, overlap=16, clear_surround=False).clean(frame)
    assert (cleared[lid] == 1.0).all() and kept[lid].mean() < 0.2
    np.testing.assert_array_equal(cleared[where][2:-2, 2:-2], kept[where][2:-2, 2:-2])
    assert CleanSettings().clear_surround
    assert CleanSettings().engine_key() != CleanSettings(clear_surround=False).engine_key()


def test_a_dark_blot_reaching_the_edge_in_one_place_is_not_surround():
    page = text_page()
    page[100:170, 330:] = 0.1  # a plain dark blot (a stain, a sticker) that only touches one edge, briefly
    assert surround(page) is None
    page[:, 330:] = 0.1  # the lid along the whole side
    assert surround(page) is not None


def test_an_uneven_dark_area_is_not_surround():
    page = text_page()
    page[:, :100] = np.linspace(0.05, 0.45, 100, dtype=np.float32)[None, :]  # a shadow fading into the page
    assert surround(page) is None


def test_a_stain_joining_the_lid_keeps_its_writing():
    page = text_page()
    yy, xx = np.mgrid[:300, :400]
    stain = ((yy - 290) ** 2 + (xx - 200) ** 2 < 32 ** 2)  # a dark stain on the page's foot, where the lid is
    page[stain] = np.minimum(page[stain], 0.4)  # its letters stay darker than it
    frame, where = on_lid(page, margin=120)  # a wide lid: the stain is a sliver of the dark area, which stays even
    mask = surround(frame)
    letters = np.zeros(frame.shape, bool)
    letters[where] = stain & (page < 0.3)
    assert letters.any() and mask is not None and not mask[letters].any()


def test_a_thick_stroke_touching_the_lid_is_not_surround():
    page = text_page()
    page[150:162, :80] = 0.1  # a broad pen stroke running off the page's edge onto the lid
    frame, where = on_lid(page)
    mask = surround(frame)
    stroke = np.zeros(frame.shape, bool)
    stroke[where[0].start + 150:where[0].start + 162, where[1].start + 2:where[1].start + 80] = True
    assert mask is not None and not mask[stroke].any()


def test_a_shadowed_foot_with_words_across_it_is_left_whole_to_the_network():
    page = text_page(400, 900)
    page[250:, :] = 0.3  # the page's own foot in an even shadow, reaching its edge
    for y in (270, 330, 380):
        for x0 in range(20, 880, 220):
            for x in range(x0, x0 + 27, 9):
                page[y:y + 10, x:x + 3] = 0.18  # words far apart: fainter writing may lie between them
    assert surround(page) is None


def test_a_coffee_ring_across_the_page_edge_does_not_stop_it():
    frame, where = on_lid(text_page(), margin=120)
    ring = np.zeros(frame.shape, np.uint8)
    cv2.circle(ring, (where[1].start, where[0].start), 100, 1, 24)  # a ring over the page's corner and the lid
    frame[ring.astype(bool)] = np.maximum(frame[ring.astype(bool)] * 0.5, 0.45)
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    mask = surround(frame)
    assert mask is not None and mask[lid].mean() > 0.8
    assert not mask[where][ring[where].astype(bool)].any()  # the ring on the page stays the network's


def test_light_writing_on_the_lid_comes_out_dark_on_white():
    # A microfilm frame's numbers on the lid (or flecks that look like them): the network blurred
    # them, and the lid near them, into a grey blotch that the surround left alone.
    frame, where = on_lid(text_page(), margin=120)
    numbers = np.zeros(frame.shape, np.uint8)
    cv2.putText(numbers, "7790", (120, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 3)
    frame[numbers.astype(bool)] = 0.9
    cleaned = clear_surround(frame, frame.copy())  # the network as a no-op: the lid as scanned
    strokes = cv2.erode(numbers, np.ones((3, 3), np.uint8)).astype(bool)
    assert cleaned[strokes].max() < 0.2  # the numbers dark ...
    lid = np.ones(frame.shape, bool)
    lid[where] = False
    around = lid & ~cv2.dilate(numbers, np.ones((5, 5), np.uint8)).astype(bool)
    assert cleaned[around].mean() > 0.99  # ... on white, the lid around them too
    inner = (slice(where[0].start + 2, where[0].stop - 2), slice(where[1].start + 2, where[1].stop - 2))
    np.testing.assert_array_equal(cleaned[inner], frame[inner])  # and the page as the network left it
    assert surround(frame)[numbers.astype(bool)].all()  # the ink guard does not count them either


def test_dark_writing_on_the_lid_stays_the_networks():
    frame, where = on_lid(text_page(), lid=0.35, margin=90)
    words = np.zeros(frame.shape, np.uint8)
    cv2.putText(words, "7790", (120, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 3)
    frame[words.astype(bool)] = 0.02  # written on a grey lid in black: the network keeps it as it is
    cleaned = clear_surround(frame, frame.copy())
    np.testing.assert_array_equal(cleaned[words.astype(bool)], frame[words.astype(bool)])


def test_a_light_letter_joined_to_a_light_box_on_the_lid_keeps_the_writing_the_networks():
    # A microfilm frame's notice box with the frame's number beside it, its first digit touching the
    # box: turned over, the other digits would be dark on white, and that digit, left to the
    # network (light on grey), white on white.
    frame, where = on_lid(text_page(), margin=90)
    numbers = np.zeros(frame.shape, np.uint8)
    cv2.putText(numbers, "7790", (120, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 1, 3)
    frame[numbers.astype(bool)] = 0.9
    frame[30:70, 40:124] = 0.9  # the box, touching the first 7
    mask = surround(frame)
    assert mask is not None
    assert not mask[cv2.dilate(numbers, np.ones((9, 9), np.uint8)).astype(bool)].any()


def test_the_page_where_its_strokes_run_into_the_lid_is_never_turned_over():
    # Thick strokes running off the page join it to the lid, and the paper inside their loops is
    # light on the dark area, in a row, as letters on a lid are (they are found as such); but it is
    # the page: nothing of it is cleared or turned over.
    page = text_page(400, 400)
    for y in range(60, 360, 44):
        cv2.circle(page, (10, y), 22, 0.1, 14)  # loops of a 14-px stroke through the page's left edge
    frame, where = on_lid(page, margin=90)
    cleaned = clear_surround(frame, frame.copy())
    inner = (slice(where[0].start + 4, where[0].stop - 4), slice(where[1].start + 4, where[1].stop - 4))
    np.testing.assert_array_equal(cleaned[inner], frame[inner])
