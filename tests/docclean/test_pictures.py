"""Tests for docclean.pictures: which areas count as pictures, and what keeping them does, alone and
in the engine."""

import cv2
import numpy as np

from docclean import Denoiser
from docclean.pictures import picture_areas
from docclean.settings import CleanSettings
from tests.docclean.pages import letter_rows

PAPER = 0.85


def text_page(h: int = 500, w: int = 700) -> np.ndarray:
    """Grey paper with lines of 3-pixel 'letters' (short dark bars)."""
    return letter_rows((h, w), PAPER, range(20, h - 20, 30), range(20, w - 20, 14))


def photograph(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A continuous-tone picture: smooth blobs of grey 0.15 to 0.75 with fine grain."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.uniform(0, 1, (4, 5)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.5)
    return np.clip(0.15 + 0.6 * (coarse - coarse.min()) / np.ptp(coarse) + 0.02 * grain, 0, 1).astype(np.float32)


def photo_page(shape: str = "rectangle", top: int = 120, left: int = 160, size: tuple[int, int] = (240, 300)):
    """A text page with a photograph printed on it (a rectangle, or an oval), and where it lies."""
    page = text_page()
    h, w = size
    where = np.zeros(page.shape, bool)
    if shape == "rectangle":
        where[top:top + h, left:left + w] = True
    else:
        oval = np.zeros(page.shape, np.uint8)
        cv2.ellipse(oval, (left + w // 2, top + h // 2), (w // 2, h // 2), 0, 0, 360, 1, -1)
        where = oval.astype(bool)
    full = np.zeros(page.shape, np.float32)
    full[top:top + h, left:left + w] = photograph(h, w)
    page[where] = PAPER * full[where]
    return page, where


def test_a_text_page_has_no_pictures():
    assert picture_areas(text_page()) is None


def test_a_photograph_is_a_picture():
    page, where = photo_page()
    mask = picture_areas(page)
    assert mask is not None
    assert mask[where].mean() > 0.98 and mask[~where].mean() < 0.01


def test_an_oval_photograph_or_a_small_one_is_not():
    assert picture_areas(photo_page("oval")[0]) is None  # a stain's shape: left to the network
    assert picture_areas(photo_page(size=(60, 80))[0]) is None  # smaller than a third of an inch


def test_a_photograph_a_stain_runs_into_is_not_kept_stain_and_all():
    page, where = photo_page()
    stain = np.zeros(page.shape, np.uint8)
    cv2.circle(stain, (560, 240), 150, 1, -1)  # a tinted coffee stain overlapping its right side
    page[stain.astype(bool) & ~where & (page > 0.5)] = PAPER * 0.7
    assert picture_areas(page) is None


def test_a_photograph_at_the_page_edge_is_not():
    assert picture_areas(photo_page(left=0)[0]) is None  # the scanner's surround, a shadow


def test_soft_sides_are_not_a_picture():
    page = text_page()
    box = np.zeros(page.shape, np.float32)
    box[120:360, 160:460] = 1
    alpha = cv2.GaussianBlur(box, (0, 0), 15)  # a stain: its mottled grey fades over many pixels
    full = np.ones(page.shape, np.float32)
    full[120:360, 160:460] = photograph(240, 300)
    blot = cv2.GaussianBlur(full, (0, 0), 20)
    page = page * (1 - alpha) + PAPER * np.minimum(blot, 1) * alpha * np.where(page < 0.5, 0.2, 1)
    assert picture_areas(page) is None


def test_an_even_shaded_box_is_shading_not_a_picture():
    page = text_page()
    box = np.zeros(page.shape, bool)
    box[120:360, 160:460] = True
    page[box & (page > 0.5)] = PAPER * 0.55  # one grey with dark writing: docclean.shading's
    assert picture_areas(page) is None


def test_a_halftone_tint_behind_writing_is_not_a_picture():
    page = text_page()
    yy, xx = np.mgrid[0:page.shape[0], 0:page.shape[1]].astype(np.float32)
    u, v = (xx + yy) / 3 / np.sqrt(2), (yy - xx) / 3 / np.sqrt(2)  # a 45-degree screen, 3 px apart
    ink = np.clip((np.sqrt(0.45 / np.pi) - np.hypot(u - np.round(u), v - np.round(v))) * 3 + 0.5, 0, 1)
    box = np.zeros(page.shape, bool)
    box[120:360, 160:460] = True
    page[box] = np.minimum(page[box], PAPER * (1 - ink[box]))  # printed dots covering 45% of it
    page = cv2.GaussianBlur(page, (0, 0), 0.6) + np.random.default_rng(0).normal(0, 0.015, page.shape)
    assert picture_areas(np.clip(page, 0, 1).astype(np.float32)) is None


def light_photo_page(kind: str):
    """A text page with a photograph whose light part (a landscape's sky, a portrait's backdrop) is
    lighter than 0.8 of the paper's grey, and where it lies."""
    page = text_page()
    top, left, h, w = 120, 160, 240, 300
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    grain = 0.015 * cv2.GaussianBlur(np.random.default_rng(1).normal(0, 1, (h, w)).astype(np.float32), (0, 0), 1.5)
    if kind == "landscape":  # a light sky over dark hills
        horizon = 0.55 * h + 15 * np.sin(xx / 40)
        photo = np.where(yy < horizon, 0.88 - 0.06 * yy / h, 0.35 + 0.1 * np.sin(xx / 20))
    else:  # a darker face, its eyes and mouth, on a light backdrop
        photo = 0.84 + 0.05 * yy / h
        face = ((xx - w / 2) / (w * 0.28)) ** 2 + ((yy - h * 0.55) / (h * 0.38)) ** 2 < 1
        photo = np.where(face, 0.5 + 0.08 * np.cos(xx / 15), photo)
        for ex in (w * 0.42, w * 0.58):
            photo = np.where((xx - ex) ** 2 + (yy - h * 0.45) ** 2 < 36, 0.15, photo)
        photo = np.where((abs(xx - w / 2) < 25) & (abs(yy - h * 0.72) < 4), 0.25, photo)
    where = np.zeros(page.shape, bool)
    where[top:top + h, left:left + w] = True
    page[top:top + h, left:left + w] = PAPER * np.clip(photo + grain, 0, 1)
    return page, where


def test_a_photograph_with_a_light_sky_or_backdrop_is_a_picture():
    for kind in ("landscape", "portrait"):
        page, where = light_photo_page(kind)
        assert (page[where] > 0.8 * PAPER).mean() > 0.3  # its light part is lighter than TONED
        mask = picture_areas(page)
        assert mask is not None, kind
        assert mask[where].mean() > 0.98 and mask[~where].mean() < 0.01, kind


def test_a_ruled_table_with_a_shaded_header_or_a_framed_paragraph_is_not_a_picture():
    page = text_page()
    table = page.copy()
    table[90:130, 100:600][table[90:130, 100:600] > 0.5] = PAPER * 0.6  # the grey header row, its writing dark
    for y in range(90, 400, 40):
        table[y:y + 2, 100:600] = 0.1  # the rules
    for x in (100, 250, 420, 598):
        table[90:392, x:x + 2] = 0.1
    assert picture_areas(table) is None
    framed = page.copy()
    framed[100:103, 100:600] = framed[380:383, 100:600] = 0.1  # a frame around a paragraph
    framed[100:383, 100:103] = framed[100:383, 597:600] = 0.1
    assert picture_areas(framed) is None


class Liner:
    """A backend that turns to paper what is lighter than mid-grey, as the network turns a
    photograph into a line drawing."""

    name, device, precision, multiple, metadata = "liner", "cpu", "fp32", 4, {}

    def run(self, tiles: np.ndarray) -> np.ndarray:
        return np.where(tiles < 0.3, tiles, 1.0).astype(np.float32)


def test_the_engine_keeps_a_photograph_as_scanned_when_asked():
    page, where = photo_page()
    inside = cv2.erode(where.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    kept = Denoiser(Liner(), tile_size=256, overlap=16, keep_pictures=True).clean(page)
    lost = Denoiser(Liner(), tile_size=256, overlap=16, keep_pictures=False).clean(page)
    assert np.abs(kept[inside] - page[inside] / PAPER).max() < 0.02  # the scan, its paper made white
    assert (lost[inside] == 1.0).mean() > 0.5
    assert CleanSettings().keep_pictures
    assert CleanSettings().engine_key() != CleanSettings(keep_pictures=False).engine_key()
