"""Tests for docclean.postprocess (adaptive binarization) and docclean.inkloss (the ink-loss guard)."""

import cv2
import numpy as np
import pytest

from docclean.errors import UsageError
from docclean.inkloss import ink_loss
from docclean.postprocess import binarize, binarize_without_show_through, drop_light_layer
from docclean.settings import CleanSettings
from docclean.synth import render_page


def scan() -> np.ndarray:
    """A small page of text on uneven grey paper."""
    page = render_page(300, 200, dpi=100, font_pt=12)
    light = np.linspace(0.7, 0.95, 300, dtype=np.float32)[None, :]
    return page * light


def test_ink_loss_is_zero_for_identity_and_high_when_strokes_are_erased():
    page = scan()
    assert ink_loss(page, page) < 0.02
    white = np.ones_like(page)
    assert ink_loss(page, white) > 0.9
    half = page.copy()
    half[:, 150:] = 1.0  # the right half of the text erased
    assert 0.25 < ink_loss(page, half) < 0.75


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_ink_loss_reads_unsigned_pages_over_their_type_s_range(dtype) -> None:
    # A uint16 page was taken as raw numbers, every one "paper": 0% lost with every stroke gone.
    top = np.iinfo(dtype).max
    page = (scan() * top).round().astype(dtype)
    assert ink_loss(page, np.full_like(page, top)) > 0.9
    assert ink_loss(page, page) < 0.02


def test_ink_loss_counts_a_faded_stroke_as_lost_and_a_whitened_paper_as_fine():
    page = scan()
    clean = np.where(page < 0.5, 0.0, 1.0).astype(np.float32)  # paper to white, ink to black: nothing lost
    assert ink_loss(page, clean) < 0.05
    faded = np.where(page < 0.5, 0.97, 1.0).astype(np.float32)  # the ink turned into paper
    assert ink_loss(page, faded) > 0.9


def test_ink_loss_of_blank_page_is_zero():
    blank = np.full((64, 64), 0.8, np.float32)
    assert ink_loss(blank, np.ones_like(blank)) == 0.0


def test_binarize_keeps_a_one_pixel_faint_stroke_that_a_fixed_cut_loses():
    page = np.ones((60, 60), np.float32)
    page[10:50, 30] = 0.62  # faint, one pixel wide
    assert binarize(page, 0.5)[10:50, 30].all()  # the fixed cut calls it paper
    adaptive = binarize(page)
    assert adaptive.dtype == bool and not adaptive[10:50, 30].any()  # kept as ink
    assert adaptive[:, :25].all() and adaptive[:, 35:].all()  # paper stays paper


def test_binarize_fixed_threshold_and_uint8():
    page = np.array([[0.2, 0.6], [0.4, 0.9]], np.float32)
    assert binarize(page, 0.5).tolist() == [[False, True], [False, True]]
    assert binarize((page * 255).astype(np.uint8), 0.5).tolist() == [[False, True], [False, True]]


def test_binarize_keeps_the_inside_of_a_wide_black_area_black():
    # Sauvola alone sinks below an even dark area's own grey and whitened a box's inside.
    page = np.ones((200, 300), np.float32)
    page[40:160, 60:240] = 0.1
    page[50:60, 80:90] = 0.0  # a little texture inside does not matter
    bw = binarize(page)
    assert not bw[40:160, 60:240].any()
    assert bw[:30].all() and bw[170:].all()


def test_binarize_draws_a_grey_fill_whole_not_as_a_ring():
    # A grey logo kept as scanned (docclean.shading): Sauvola alone drew only its rim.
    page = np.ones((300, 400), np.float32)
    page[20:30:3, 20:380] = 0.05  # a little text, so the page's cut is a text page's
    disc = np.zeros(page.shape, np.uint8)
    cv2.circle(disc, (200, 170), 90, 1, -1)
    page[disc.astype(bool)] = 0.5
    inside = cv2.erode(disc, np.ones((25, 25), np.uint8)).astype(bool)
    bw = binarize(page)
    assert not bw[inside].any()
    assert bw[~cv2.dilate(disc, np.ones((5, 5), np.uint8)).astype(bool) & (page > 0.9)].all()


def test_binarize_keeps_writing_on_dark_shading_apart_from_it():
    page = np.ones((200, 400), np.float32)
    page[40:160, 40:360] = 0.2  # dark shading ...
    page[60:140:12, 60:340] = 0.02  # ... with black rules of writing on it
    bw = binarize(page)
    assert not bw[60:140:12, 60:340].any()
    assert bw[66:136:12, 60:340].mean() > 0.9  # the shading between them is paper


def test_a_wide_black_rim_does_not_drag_the_global_cut_down():
    # A page cleaned on a dark scanner lid comes out with a black rim; its faint strokes stay.
    page = np.ones((400, 400), np.float32)
    for x in range(100, 300, 8):
        page[100:300, x:x + 2] = 0.68  # faint strokes the model left grey
    rimmed = page.copy()
    rimmed[:60], rimmed[-60:], rimmed[:, :60], rimmed[:, -60:] = 0.0, 0.0, 0.0, 0.0
    assert not binarize(page)[100:300, 100:102].any()
    assert not binarize(rimmed)[100:300, 100:102].any()
    assert not binarize(rimmed)[:60].any()


def test_binarize_leaves_pale_residue_as_paper():
    page = np.ones((80, 80), np.float32)
    page[20:40, 10:40] = 0.85  # pale show-through left on a cleaned page
    page[50:70, 50:53] = 0.05  # a real stroke
    out = binarize(page)
    assert out[20:40, 10:40].all() and not out[50:70, 50:53].any()


def test_keep_faint_keeps_a_faint_hairline_joining_strokes_but_not_the_same_grey_alone():
    page = np.ones((80, 80), np.float32)
    page[10:70, 20:23] = page[10:70, 50:53] = 0.05  # two dark strokes ...
    page[40, 23:50] = 0.88  # ... joined by a one-pixel hairline lighter than any global cut
    page[10:30, 60:75] = 0.88  # the same grey, touching nothing: a stain rim, show-through
    plain, faint = binarize(page), binarize(page, keep_faint=True)
    assert plain[40, 25:48].all()  # the adaptive cut alone loses the hairline
    # kept, one pixel wide (the two pixels next to a black core are its soft edge, like any other)
    assert not faint[40, 25:48].any() and faint[39, 23:50].all() and faint[41, 23:50].all()
    assert not faint[10:70, 20:23].any() and faint[10:30, 60:75].all() and plain[10:30, 60:75].all()


@pytest.mark.parametrize("keep_faint", [False, True])
def test_ink_does_not_grow_over_paper_the_model_left_grey(keep_faint: bool) -> None:
    page = np.full((80, 80), 0.87, np.float32)  # paper a weak model left grey (darker than 0.92)
    page[10:70, 20:23] = page[40, 23:60] = 0.05  # text on it
    out = binarize(page, keep_faint=keep_faint)
    assert not out[10:70, 20:23].any() and not out[40, 23:60].any()
    assert out[:5].all() and out[75:].all() and out[10:30, 70:].all()  # the paper stays paper


def test_keep_faint_keeps_the_soft_edge_of_a_faint_stroke_not_the_grey_edge_of_a_black_one():
    page = np.ones((60, 60), np.float32)
    page[10:50, 21:27] = 0.85  # the grey edge a cleaned page leaves around a stroke ...
    page[10:50, 22:26] = 0.05  # ... of a near-black core
    page[10:50, 39:45] = 0.88  # a faint stroke's soft edge ...
    page[10:50, 40:44] = 0.7  # ... around its core,
    page[30, 27:39] = 0.7  # joined to the dark stroke
    plain, faint = binarize(page), binarize(page, keep_faint=True)
    assert not faint[10:50, 39:45].any()  # the faint stroke, whole
    for out in (plain, faint):
        assert out[10:50, 21].all() and out[10:50, 26].all() and not out[10:50, 22:26].any()


def test_keep_faint_needs_the_adaptive_binarization():
    assert CleanSettings(binarize=True, keep_faint=True).keep_faint
    for bad in ({"keep_faint": True}, {"binarize": True, "threshold": 0.5, "keep_faint": True}):
        with pytest.raises(UsageError, match="keep_faint"):
            CleanSettings(**bad)


def two_layer_page(light: float) -> np.ndarray:
    """Paper with dark strokes (0.05) and, apart from them, marks of grey ``light``, one of them
    touching a dark stroke."""
    page = np.ones((80, 120), np.float32)
    page[10:70, 10:13] = page[10:70, 30:33] = 0.05  # the page's own writing
    page[20:40, 60:63] = page[50:60, 80:100] = light  # the other side's, showing through
    page[40, 33:45] = light  # a light tail joined to a dark stroke
    return page


def test_remove_show_through_drops_the_lighter_of_two_separated_layers() -> None:
    page = two_layer_page(0.55)
    plain, dropped = binarize(page), binarize_without_show_through(page)[0]
    assert not plain[20:40, 60:63].any() and not plain[50:60, 80:100].any()  # the adaptive cut keeps them
    assert dropped[20:40, 60:63].all() and dropped[50:60, 80:100].all()
    assert not dropped[10:70, 10:13].any() and not dropped[10:70, 30:33].any()  # the writing stays
    assert not dropped[40, 34:44].any()  # a light mark touching a stroke is that stroke's


@pytest.mark.parametrize("page", [
    two_layer_page(0.2),  # two layers, but too close in darkness to call one show-through
    np.where(two_layer_page(0.55) < 0.5, np.float32(1.0), two_layer_page(0.55)),  # one faint layer alone
])
def test_remove_show_through_keeps_a_page_with_one_layer_of_ink(page: np.ndarray) -> None:
    ink = ~binarize(page)
    assert ink.any()
    assert np.array_equal(drop_light_layer(page, ink), ink)


def test_remove_show_through_needs_the_adaptive_binarization_and_not_keep_faint():
    assert CleanSettings(binarize=True, remove_show_through=True).remove_show_through
    for bad in ({"remove_show_through": True}, {"binarize": True, "threshold": 0.5, "remove_show_through": True}):
        with pytest.raises(UsageError, match="remove_show_through"):
            CleanSettings(**bad)
    with pytest.raises(UsageError, match="opposite"):
        CleanSettings(binarize=True, keep_faint=True, remove_show_through=True)
