"""Tests for docclean.shading: which grey areas count as shaded boxes and bands, what flattening
and putting back do, alone and in the engine."""

import cv2
import numpy as np

from docclean import Denoiser
from docclean.settings import CleanSettings
from docclean.shading import flatten_shading, restore_as_scanned, shaded_areas
from tests.docclean.pages import letter_rows

PAPER = 0.85


def text_page(h: int = 400, w: int = 600) -> np.ndarray:
    """Grey paper with lines of 3-pixel 'letters' (short dark bars)."""
    return letter_rows((h, w), PAPER, range(20, h - 20, 30), range(20, w - 20, 14))


def shaded_page(grey: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """A text page with a box shaded ``grey`` of the paper's grey in the middle (its writing kept
    dark), and the box's mask."""
    page = text_page()
    box = np.zeros(page.shape, bool)
    box[100:260, 120:480] = True
    page[box & (page > 0.5)] = PAPER * grey
    return page, box


def band_page() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text page with a grey band holding white writing; the band and its letters."""
    page = text_page()
    band = np.zeros(page.shape, bool)
    band[150:230, 100:500] = True
    page[band] = PAPER * 0.5
    letters = np.zeros(page.shape, np.uint8)
    cv2.putText(letters, "TOTAL DUE 47.11", (110, 205), cv2.FONT_HERSHEY_SIMPLEX, 1.3, 1, 3)
    letters = letters.astype(bool) & band
    page[letters] = PAPER
    return page, band, letters


def test_a_text_page_has_no_shading():
    assert shaded_areas(text_page()) is None


def test_a_shaded_box_becomes_paper_with_its_writing_on_it():
    for grey in (0.4, 0.55, 0.7):
        page, box = shaded_page(grey)
        shading = shaded_areas(page)
        assert shading is not None and shading.gain is not None and shading.scanned is None
        flat = flatten_shading(page, shading)
        inside = cv2.erode(box.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert abs(float(np.median(flat[inside])) - PAPER) < 0.02
        writing = inside & (page < 0.2)
        assert writing.any() and flat[writing].max() < 0.4  # the letters stay dark
        # Its soft edge goes too: nothing a pixel or two outside the box stays darker than the paper.
        edge = cv2.dilate(box.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~inside & (page > 0.3)
        assert np.abs(flat[edge] - PAPER).max() < 0.01  # nor is the paper around it made lighter


def test_a_stain_that_fades_is_not_shading():
    page = text_page()
    yy, xx = np.mgrid[0:page.shape[0], 0:page.shape[1]].astype(np.float32)
    stain = np.exp(-((yy - 200) ** 2 + (xx - 300) ** 2) / (2 * 70.0 ** 2))
    page = page * (1 - 0.5 * stain)
    assert shaded_areas(page) is None


def disc_page(grey: float) -> tuple[np.ndarray, np.ndarray]:
    """A text page with an even disc ``grey`` of the paper's grey over its letters; the disc."""
    page = text_page()
    disc = np.zeros(page.shape, np.uint8)
    cv2.circle(disc, (300, 200), 120, 1, -1)
    disc = disc.astype(bool)
    page[disc & (page > 0.5)] = PAPER * grey
    return page, disc


def test_a_round_grey_area_is_not_shading_and_a_tilted_box_is():
    page, _ = disc_page(0.85)  # a coffee stain's even, tinted disc (its rim apart)
    assert shaded_areas(page) is None
    page, box = shaded_page(0.55)
    turn = cv2.getRotationMatrix2D((300, 200), 3, 1.0)  # a page scanned 3 degrees askew
    tilted = cv2.warpAffine(page, turn, page.shape[::-1], flags=cv2.INTER_LINEAR, borderValue=PAPER)
    shading = shaded_areas(tilted)
    assert shading is not None and shading.gain is not None


def test_a_mottled_grey_area_is_not_shading():
    page, box = shaded_page(0.55)
    rng = np.random.default_rng(0)
    mottle = cv2.resize(rng.uniform(-0.15, 0.15, (8, 12)).astype(np.float32), page.shape[::-1],
                        interpolation=cv2.INTER_CUBIC)
    page[box] += PAPER * mottle[box]  # a tide mark's blotches: not one grey
    assert shaded_areas(page) is None


def test_a_printed_fill_is_put_back_as_scanned_and_a_light_empty_box_is_left_to_the_network():
    for grey in (0.35, 0.55, 0.65):
        page, disc = disc_page(grey)  # a grey logo, with letters over it
        shading = shaded_areas(page)
        assert shading is not None and shading.gain is None and shading.scanned is not None
        edge = cv2.dilate(disc.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        assert shading.scanned[edge].mean() > 0.99  # its soft edge too, which the network draws as a rim
        assert shading.scanned[~cv2.dilate(edge.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)].sum() == 0
        cleaned = np.ones_like(page)
        restore_as_scanned(page, cleaned, shading)
        assert abs(float(np.median(cleaned[disc])) - grey) < 0.02
    page = text_page()
    page[100:260, 120:480] = PAPER * 0.55  # a bar of a bar chart: flattened, it would vanish
    shading = shaded_areas(page)
    assert shading is not None and shading.gain is None and shading.scanned[100:260, 120:480].all()
    page = text_page()
    page[100:260, 120:480] = PAPER * 0.8  # an empty light box: the network's
    assert shaded_areas(page) is None


def test_a_printed_fill_is_put_back_to_its_sharp_corners():
    page = text_page()
    triangle = np.zeros(page.shape, np.uint8)
    cv2.fillPoly(triangle, [np.array([(300, 40), (380, 360), (220, 360)], np.int32)], 1)  # a 28-degree apex
    page[triangle.astype(bool)] = PAPER * 0.5
    shading = shaded_areas(page)
    assert shading is not None and shading.scanned is not None
    # The network drew a dark tip at each corner left out. The last pixels of the apex (under 5 px
    # wide), averaged with paper on the half-size page the search reads, are left to it.
    assert shading.scanned[55:][triangle[55:].astype(bool)].all()


def test_a_black_box_is_not_shading():
    page = text_page()
    page[100:260, 120:480] = 0.1  # docclean.solids's to keep; flattened, it would turn to paper
    assert shaded_areas(page) is None


def test_a_grey_area_at_the_page_edge_is_not_shading():
    page = text_page()
    page[:, :150][page[:, :150] > 0.5] = PAPER * 0.5  # a band down the whole side: a shadow or the lid
    assert shaded_areas(page) is None


def test_a_shaded_box_touching_a_shadow_is_cut_from_it():
    page, box = shaded_page(0.5)
    ramp = np.clip(1 - np.arange(page.shape[1], dtype=np.float32) / 160, 0, 1)
    page *= 1 - 0.3 * ramp[None, :]  # a shadow fading in from the left edge, reaching the box
    shading = shaded_areas(page)
    assert shading is not None and shading.gain is not None
    assert (shading.gain[box] != 1).mean() > 0.95
    assert (shading.gain[:, :40] == 1).all()  # the shadow at the edge is left to the network


def test_a_band_with_white_writing_is_put_back_not_flattened():
    page, band, letters = band_page()
    shading = shaded_areas(page)
    assert shading is not None and shading.gain is None and shading.scanned is not None
    assert shading.scanned[band].mean() > 0.95
    cleaned = np.ones_like(page)
    restore_as_scanned(page, cleaned, shading)
    core = cv2.erode(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert cleaned[core].mean() - cleaned[band & ~letters].mean() > 0.4  # the letters stay lighter than the band


class Outliner:
    """A backend that keeps what lies at an edge (as the network keeps a grey area's edge, seeing a
    stroke there) and turns the rest to paper."""

    name, device, precision, multiple, metadata = "outliner", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        out = []
        for tile in tiles:
            kernel = np.ones((7, 7), np.uint8)
            span = cv2.dilate(tile, kernel) - cv2.erode(tile, kernel)
            out.append(np.where(span > 0.15, tile, 1.0))
        return np.stack(out).astype(np.float32)


def test_the_engine_draws_no_frame_around_a_shaded_box_when_asked():
    page, box = shaded_page(0.55)
    frame = cv2.dilate(box.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) \
        & ~cv2.erode(box.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & (page > 0.3)
    clear = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=True).clean(page)
    keep = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=False).clean(page)
    unshaded = Denoiser(Outliner(), tile_size=256, overlap=16).clean(text_page())  # the letters' own edges
    assert keep[frame].mean() < unshaded[frame].mean() - 0.2
    assert clear[frame].mean() > unshaded[frame].mean() - 0.01
    writing = box & (page < 0.2)
    assert clear[writing].max() < 0.4  # the letters on the box are kept
    assert CleanSettings().clear_shading
    assert CleanSettings().engine_key() != CleanSettings(clear_shading=False).engine_key()


def test_the_engine_puts_back_a_band_with_white_writing():
    page, band, letters = band_page()
    core = cv2.erode(letters.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    body = band & ~cv2.dilate(letters.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool)
    clear = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=True).clean(page)
    keep = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=False).clean(page)
    assert clear[core].mean() - clear[body].mean() > 0.4  # white letters on the band, as scanned
    assert keep[core].mean() - keep[body].mean() < 0.1  # the band turned to paper around them: letters gone


def test_the_engine_keeps_a_grey_logo_the_network_would_outline():
    page, disc = disc_page(0.5)
    inside = cv2.erode(disc.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & (page > 0.3)
    clear = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=True).clean(page)
    keep = Denoiser(Outliner(), tile_size=256, overlap=16, clear_shading=False).clean(page)
    assert abs(float(np.median(clear[inside])) - 0.5) < 0.05  # as scanned, divided by the paper's grey
    assert float(np.median(keep[inside])) > 0.95  # the network alone: its outline only
