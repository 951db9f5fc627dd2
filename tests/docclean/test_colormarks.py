"""Tests for docclean.colormarks: strongly coloured stamps and pen kept over text, stains left alone."""

import cv2
import numpy as np

from docclean.colormarks import colored_marks, keep_colored_marks
from docclean.onepage import clean_page
from docclean.pixels import Page
from docclean.settings import CleanSettings

PAPER = np.array([236, 232, 222], np.float32)  # slightly yellowed paper


def text_page(h: int = 200, w: int = 300) -> np.ndarray:
    """Black bars of 'text' (float 0..1, 1 = paper): rows of 4-px strokes."""
    page = np.ones((h, w), np.float32)
    for y in range(20, h - 20, 16):
        for x in range(20, w - 20, 10):
            page[y:y + 8, x:x + 4] = 0.05
    return page


def scan(ink: np.ndarray, marks: list[tuple[np.ndarray, tuple[int, int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """(grey float page, uint8 RGB page) of black ``ink`` (1 = paper) on tinted paper with each
    (mask, colour) mark printed over it (inks multiply)."""
    rgb = ink[..., None] * PAPER
    for mask, colour in marks:
        tint = np.where(mask[..., None], np.array(colour, np.float32) / 255, 1.0)
        rgb = rgb * tint
    rgb = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    gray = (rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255
    return gray, rgb


def ring(h: int = 200, w: int = 300, width: int = 6) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    cv2.circle(mask, (w // 2, h // 2), 70, 1, width)
    return mask.astype(bool)


def test_a_red_stamp_over_text_is_put_back_and_the_text_stays_black():
    ink, stamp = text_page(), ring()
    gray, rgb = scan(ink, [(stamp, (215, 40, 50))])
    lost = np.where(ink < 0.5, 0.0, 1.0).astype(np.float32)  # the network's answer: text only, stamp erased
    kept = keep_colored_marks(gray, lost, rgb)
    alone = stamp & (ink > 0.5)
    assert (kept[alone] < 0.7).mean() > 0.95  # the stamp, in the scan's grey
    assert kept[ink < 0.5].max() == 0.0  # never lighter than the network drew it
    far = cv2.dilate(stamp.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    assert (kept[far] == lost[far]).all()  # nothing else touched
    assert lost[alone].min() == 1.0  # the input was not changed


def test_a_blue_pen_stroke_is_a_mark():
    stroke = np.zeros((200, 300), np.uint8)
    cv2.line(stroke, (30, 150), (270, 60), 1, 3)
    gray, rgb = scan(text_page(), [(stroke.astype(bool), (40, 55, 140))])  # dark: small spread, high saturation
    found = colored_marks(rgb, gray)
    over_paper = stroke.astype(bool) & (text_page() > 0.5)  # where it crosses a letter it is black
    assert found is not None and found[over_paper].mean() > 0.9


def test_a_pen_line_along_a_line_of_text_is_one_mark_through_the_letters():
    """Struck through: the letters cut the line into pieces of 18 pixels, fewer than a mark's 24;
    measured with the letters it crosses, it is one mark."""
    ink = text_page()
    strike = np.zeros(ink.shape, bool)
    strike[23:26, 20:280] = True  # through the first row of 'letters' (rows 20-28, 4 px wide, 6 px apart)
    gray, rgb = scan(ink, [(strike, (200, 30, 40))])
    found = colored_marks(rgb, gray)
    assert found is not None and found[strike & (ink > 0.5)].mean() > 0.9


def test_stains_highlighter_bands_and_colour_fringes_are_not_marks():
    ink = text_page()
    for colour in ((150, 100, 60), (190, 150, 100), (200, 180, 90)):  # coffee rim, tea, yellowed: brown hues
        gray, rgb = scan(ink, [(ring(width=12), colour)])
        assert colored_marks(rgb, gray) is None, colour
    band = np.zeros((200, 300), bool)
    band[60:100, :] = True
    for colour in ((255, 150, 210), (150, 255, 150)):  # pink and green highlighter: light
        gray, rgb = scan(ink, [(band, colour)])
        assert colored_marks(rgb, gray) is None, colour
    stripe = np.zeros((200, 300), bool)
    stripe[:, :40] = True  # a coloured band along a receipt's edge, beside its text: wide, not a stroke
    gray, rgb = scan(np.where(stripe, 1.0, ink).astype(np.float32), [(stripe, (220, 40, 120))])
    assert colored_marks(rgb, gray) is None
    gray, rgb = scan(ink, [])
    rgb[..., 0] = np.roll(rgb[..., 0], 1, axis=1)  # a scanner's misregistered red channel: 1-px fringes
    assert colored_marks(rgb, gray) is None


def test_a_pen_line_inside_a_highlighted_band_is_part_of_the_band_even_on_a_large_page():
    """A mark touching a wide coloured area (here light: a highlighter) goes with it. The area is
    read around the strong pixels only, and as far as a wide area touching them reaches."""
    ink = np.ones((1200, 1600), np.float32)
    band = np.zeros(ink.shape, bool)
    band[500:560, 100:1500] = True
    pen = np.zeros(ink.shape, bool)
    pen[528:532, 300:1300] = True
    gray, rgb = scan(ink, [(band, (255, 150, 210)), (pen, (200, 30, 40))])
    assert colored_marks(rgb, gray) is None
    gray, rgb = scan(ink, [(pen, (200, 30, 40))])  # the same line on paper
    found = colored_marks(rgb, gray)
    assert found is not None and found[pen].all()


def test_a_grey_page_and_a_colour_page_without_marks_are_left_as_they_are():
    ink = text_page()
    cleaned = np.where(ink < 0.5, 0.0, 1.0).astype(np.float32)
    assert keep_colored_marks(ink, cleaned, None) is cleaned
    gray, rgb = scan(ink, [])
    assert keep_colored_marks(gray, cleaned, rgb) is cleaned


class EraseLight:
    """A stand-in cleaner that erases everything lighter than near-black, as the network does a
    broad mark over text."""

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        return np.where(gray < 0.3, 0.0, 1.0).astype(np.float32)


def test_clean_page_keeps_coloured_marks_unless_turned_off_and_binarize_draws_them():
    ink, stamp = text_page(), ring()
    gray, rgb = scan(ink, [(stamp, (215, 40, 50))])
    alone = stamp & (ink > 0.5)
    kept = clean_page(Page(gray, rgb, None, 0), CleanSettings(), EraseLight())
    off = clean_page(Page(gray, rgb, None, 0), CleanSettings(keep_color_marks=False), EraseLight())
    assert (kept.pixels[alone] < 0.7).mean() > 0.95 and off.pixels[alone].min() == 1.0
    assert kept.ink_loss < off.ink_loss  # the guard sees the stamp kept
    binarized = clean_page(Page(gray, rgb, None, 0), CleanSettings(binarize=True), EraseLight())
    assert (~binarized.pixels[alone]).mean() > 0.9
    grey_only = clean_page(Page(gray, None, None, 0), CleanSettings(), EraseLight())
    assert grey_only.pixels[alone].min() == 1.0  # no colour, nothing to tell the stamp by


def test_a_mark_across_the_row_blocks_of_a_tall_page_is_found_whole():
    """The colour test runs in row blocks (1 MP each): a pen line crossing their seams is one mark."""
    ink = np.ones((2600, 1000), np.float32)
    line = np.zeros(ink.shape, bool)
    line[100:2500, 500:504] = True  # crosses the seams at rows 1000 and 2000
    gray, rgb = scan(ink, [(line, (40, 55, 140))])
    found = colored_marks(rgb, gray)
    assert found is not None and found[line].all() and not found[~line].any()
