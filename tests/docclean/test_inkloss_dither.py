"""The ink-loss guard on dithered and halftoned pages (docclean.inkloss): an area printed as dots
(a faxed photo, a 1-bit scan of a grey form or of tinted paper) is judged as its grey scan would
be. Its dots are no strokes, so the network drawing the area grey, or clearing a tint as it clears
shading, is no lost ink; strokes erased beside or on it still are."""

import numpy as np
import pytest
from PIL import Image

from docclean import inkloss
from docclean.inkloss import TWO_LEVEL_BETWEEN, descreened, dither_areas, dither_patch, ink_loss, removed_marks
from docclean.levels import is_bilevel
from docclean.onepage import clean_page
from docclean.pixels import Page
from docclean.settings import CleanSettings
from docclean.synth import degrade, render_page

BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32)


def floyd_steinberg(grey: np.ndarray) -> np.ndarray:
    """Error diffusion, as Pillow converts grey to 1-bit."""
    return np.asarray(Image.fromarray((grey * 255 + 0.5).astype(np.uint8)).convert("1"), np.float32)


def bayer(grey: np.ndarray) -> np.ndarray:
    """An ordered 4 x 4 dither."""
    h, w = grey.shape
    cut = (np.tile(BAYER, (h // 4 + 1, w // 4 + 1))[:h, :w] + 0.5) / 16
    return (grey > cut).astype(np.float32)


def screen(grey: np.ndarray) -> np.ndarray:
    """A 45-degree halftone screen, dots 4 px apart, each covering 1 - the grey of its cell."""
    h, w = grey.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = (x + y) / 4 / np.sqrt(2), (y - x) / 4 / np.sqrt(2)
    return (np.hypot(u - np.round(u), v - np.round(v)) >= np.sqrt((1 - grey) / np.pi)).astype(np.float32)


def one_bit(page: np.ndarray) -> np.ndarray:
    """A rendered page as a 1-bit scan has it: a dither is found on two-level pages only."""
    return (page > 0.5).astype(np.float32)


#: The test pages' resolution: dithers are searched for from 150 dpi on (docclean.inkloss.DITHER_MIN_DPI).
DPI = (300.0, 300.0)

DITHERS = {"floyd-steinberg": floyd_steinberg, "bayer": bayer, "screen": screen}
#: Over 4 million pixels: the guard's half-resolution path, where today's min-pooling merged dots.
BIG = (2200, 2000)


def photo(h: int, w: int) -> np.ndarray:
    """A photo's tones: a gradient from dark grey to near white with a dark patch in the middle."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    patch = np.exp(-((x - w / 2) ** 2 + (y - h / 2) ** 2) / (0.05 * w * w))
    return (0.35 + 0.55 * x / w - 0.25 * patch).astype(np.float32)


def tinted(dither: str, size: tuple[int, int] = BIG) -> tuple[np.ndarray, np.ndarray]:
    """Text on paper tinted 0.8, as a 1-bit scan prints it (the dots and the text, black), and the
    text alone: the page with its tint cleared."""
    text = one_bit(render_page(size[1], size[0], dpi=300, font_pt=10))
    return np.minimum(text, DITHERS[dither](np.full(size, 0.8, np.float32))), text


def with_photo(dither: str, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, slice]:
    """1-bit text with a photo set in the middle, dithered, and the same page with the photo in grey
    (the grey scan, and what the network draws); and the rows below the photo."""
    h, w = size
    grey = one_bit(render_page(w, h, dpi=300, font_pt=10))
    top, left, ph, pw = h // 4, w // 8, h // 2, w * 3 // 4
    grey[top:top + ph, left:left + pw] = photo(ph, pw)
    page = grey.copy()
    page[top:top + ph, left:left + pw] = DITHERS[dither](grey[top:top + ph, left:left + pw])
    return page, grey, slice(top + ph, h)


@pytest.mark.parametrize("dither", DITHERS)
def test_a_dithered_tint_that_cleaning_clears_is_not_lost_ink(dither: str) -> None:
    page, text = tinted(dither)
    assert ink_loss(page, text, dpi=DPI) < 0.02  # was 0.44 (error diffusion), 0.54 (ordered), 0.12 (screen)


def test_a_halftone_tint_on_a_small_page_that_cleaning_clears_is_not_lost_ink() -> None:
    page, text = tinted("screen", (900, 700))
    assert ink_loss(page, text, dpi=DPI) < 0.02  # was 0.80


@pytest.mark.parametrize(("dither", "size"), [("bayer", (900, 700)), ("screen", (900, 700)),
                                              ("floyd-steinberg", BIG)])
def test_a_dithered_photo_drawn_grey_is_not_lost_ink(dither: str, size: tuple[int, int]) -> None:
    page, grey, _ = with_photo(dither, size)
    assert ink_loss(page, grey, dpi=DPI) < 0.02  # was 0.11, 0.25 and 0.11


@pytest.mark.parametrize("dither", DITHERS)
def test_text_erased_beside_a_dithered_photo_is_reported_as_on_a_grey_scan(dither: str) -> None:
    page, grey, below = with_photo(dither, BIG)
    erased = grey.copy()
    erased[below] = 1.0  # the text under the photo erased, the photo drawn grey
    on_grey_scan = ink_loss(grey, erased, dpi=DPI)
    assert on_grey_scan > 0.3
    assert abs(ink_loss(page, erased, dpi=DPI) - on_grey_scan) < 0.02  # was 0.04-0.10 off


@pytest.mark.parametrize("dither", DITHERS)
def test_text_erased_on_a_dithered_tint_is_reported_and_the_tint_is_not(dither: str) -> None:
    page, text = tinted(dither)
    erased = text.copy()
    erased[BIG[0] // 2:] = 1.0  # the lower half's text erased, the tint cleared
    on_text = ink_loss(text, erased, dpi=DPI)
    assert ink_loss(page, erased, dpi=DPI) == pytest.approx(on_text, abs=0.03)  # 0.49; was 0.72, 0.77, 0.55
    assert ink_loss(page, np.ones_like(page), dpi=DPI) > 0.9  # everything erased


@pytest.mark.parametrize("dither", DITHERS)
def test_the_difference_view_paints_erased_text_not_a_cleared_tint_or_a_photo_drawn_grey(dither: str) -> None:
    """The desktop app's difference view (removed_marks) reads a dither as the guard does: it painted
    the dots of a tint the network cleared, or of a photo it drew grey, as removed marks."""
    page, text = tinted(dither, (900, 700))
    erased = text.copy()
    erased[450:] = 1.0  # the lower half's text erased, the tint cleared
    marks = removed_marks(page, erased, DPI)
    ink = text < 0.5
    assert (marks[:450][~ink[:450]] > 0.5).mean() < 0.01  # the tint's dots around kept text: 0.3%
    assert (marks[450:][ink[450:]] > 0.5).mean() > 0.9  # the erased text: 97%
    assert (removed_marks(page, erased)[:450][~ink[:450]] > 0.5).mean() > 0.15  # without the resolution: 19-20%
    photo_page, grey, _ = with_photo(dither, (900, 700))
    assert (removed_marks(photo_page, grey, DPI) > 0).mean() < 0.005  # 0.02%; 5% before


class GreyDots:
    """A stand-in cleaner that draws dots as the grey they print (a blur) and clears light grey to white."""

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        import cv2

        grey = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 2.0)
        return np.where(grey > 0.7, np.float32(1.0), grey)


def test_a_one_bit_scan_of_tinted_paper_cleaned_is_not_reported_as_lost_ink() -> None:
    page, text = tinted("floyd-steinberg")
    bits = Page(page > 0.5, None, DPI, 0)  # a 1-bit page, as read from a TIFF
    out = clean_page(bits, CleanSettings(), GreyDots())
    assert out.pixels[text < 0.5].mean() < 0.6 and out.pixels[text > 0.5].mean() > 0.95  # text kept, tint cleared
    assert out.ink_loss < 0.05  # was 0.44


@pytest.mark.parametrize(("dpi", "pt"), [(100, 10), (150, 8), (200, 9), (300, 11), (600, 9)])
def test_text_pages_have_no_dither_areas(dpi: int, pt: int) -> None:
    clean = render_page(int(8.27 * dpi / 2), int(11.69 * dpi * 0.4), dpi=dpi, font_pt=pt)
    assert dither_areas(clean) is None
    assert dither_areas(degrade(clean, np.random.default_rng(dpi))) is None  # stains, noise, JPEG


@pytest.mark.parametrize("dither", DITHERS)
def test_dither_areas_find_a_dithered_photo(dither: str) -> None:
    page, _, _ = with_photo(dither, (900, 700))
    areas = dither_areas(page)
    assert areas is not None
    h, w = areas.shape
    assert areas[h // 4 + 10:3 * h // 4 - 10, w // 8 + 10:7 * w // 8 - 10].mean() > 0.95  # inside the photo
    assert areas[: h // 4 - 10].mean() < 0.05  # the text above it


def test_only_a_two_level_page_is_searched_for_dithers() -> None:
    # Dense small text at about 100 dpi can pass the dither test; on a grey page it may hold faded
    # strokes the guard must see whole, and a grey page's dots are no dither's (blurred by the scan).
    grey = degrade(render_page(400, 500, dpi=100, font_pt=6), np.random.default_rng(7))
    assert not is_bilevel(grey, TWO_LEVEL_BETWEEN) and descreened(grey, DPI) is grey
    page, _ = tinted("bayer", (300, 280))
    assert is_bilevel(page, TWO_LEVEL_BETWEEN) and descreened(page, DPI) is not page


@pytest.mark.parametrize("pt", [6, 7, 8])
def test_small_one_bit_text_at_100_dpi_is_not_read_as_a_dither(pt: int) -> None:
    """It passes the dither test (17-63% of an A4 page), where text erased would read as less."""
    page = one_bit(render_page(827, 1169, dpi=100, font_pt=pt))
    assert dither_areas(page) is not None  # what the gate is for
    assert descreened(page, (100.0, 100.0)) is page and descreened(page, (204.0, 98.0)) is page
    erased = page.copy()
    erased[600:] = 1.0
    assert ink_loss(page, erased, dpi=(100.0, 100.0)) == ink_loss(page, erased)  # as with no dither search


def test_a_page_of_unknown_resolution_is_not_searched() -> None:
    page, _ = tinted("bayer", (300, 280))
    assert descreened(page, None) is page and descreened(page, (150.0, 150.0)) is not page


@pytest.mark.parametrize("shift", [(0, 0), (1, 0), (0, 3), (1, 1)])
def test_a_large_page_s_dither_patch_is_pooled_on_its_own_as_with_the_page(shift: tuple[int, int]) -> None:
    """The guard halves a large page without copying it descreened: the same half page, whatever
    rows and columns the patch's box starts and ends on."""
    page, _, _ = with_photo("bayer", (1203, 1001))
    page = np.ascontiguousarray(page[shift[0]:, shift[1]:])
    before = page.copy()
    patch = dither_patch(page, DPI)
    assert patch is not None
    np.testing.assert_array_equal(inkloss._halved(page, patch), inkloss._halved(descreened(page, DPI)))
    np.testing.assert_array_equal(page, before)  # the caller's page is left as it was
