"""Tests for docclean.levels: dark and washed-out scans brought to ordinary paper and contrast."""

import numpy as np
import pytest

from docclean.levels import (CONTRAST, NEGATIVE_LARGEST, NEGATIVE_LIGHT, NEGATIVE_MARKS, NEGATIVE_THICK, PAPER,
                             auto_levels, is_bilevel, is_negative, light_marks, page_levels, soften_bilevel,
                             thin_marks)


def page(paper: float = 0.9, ink: float = 0.1) -> np.ndarray:
    """Paper with a few dark bars (a tenth of the page) and a little grain."""
    rng = np.random.default_rng(0)
    p = np.full((200, 300), paper, np.float32) + rng.normal(0, 0.005, (200, 300)).astype(np.float32)
    for x in range(20, 280, 40):
        p[30:170, x:x + 4] = ink
    return np.clip(p, 0, 1)


def test_a_page_in_range_is_left_exactly_as_it_is():
    p = page()
    assert auto_levels(p) is p


def test_a_dark_scan_gets_its_paper_back_and_keeps_its_ink_ratio():
    original = page()
    dark = original * 0.7
    fixed = auto_levels(dark)
    paper, contrast = page_levels(fixed)
    assert paper == pytest.approx(PAPER, abs=0.01) and contrast >= CONTRAST
    ink = original < 0.5
    assert fixed[ink].mean() / paper == pytest.approx(dark[ink].mean() / np.median(dark), rel=0.02)


def test_a_washed_out_scan_is_stretched_to_the_least_contrast():
    pale = 1 - (1 - page()) / 4  # paper 0.975, ink 0.775: contrast 0.2
    fixed = auto_levels(pale)
    paper, contrast = page_levels(fixed)
    assert contrast == pytest.approx(CONTRAST, abs=0.01)
    assert fixed[page() < 0.5].mean() < pale[page() < 0.5].mean() - 0.15  # the ink got darker
    assert paper > 0.9  # and the paper stayed paper


def test_a_black_logo_a_dark_lid_a_photograph_or_a_grey_box_does_not_hide_a_pale_scan():
    pale = 1 - (1 - page()) / 4  # contrast 0.2: stretched
    with_logo, on_lid = pale.copy(), np.full((pale.shape[0], pale.shape[1] + 200), 0.1, np.float32)
    with_logo[10:60, 10:90] = 0.05  # a solid black box, far wider than a stroke
    on_lid[:, 100:-100] = pale
    photo, grey_box = pale.copy(), pale.copy()
    photo[100:180, 150:290] = 0.35 + 0.25 * np.random.default_rng(1).random((80, 140)).astype(np.float32)
    grey_box[40:160, 30:200] = np.minimum(grey_box[40:160, 30:200], 0.6)  # over the bars
    for framed in (with_logo, on_lid, photo, grey_box):
        assert page_levels(framed)[1] == pytest.approx(page_levels(pale)[1], abs=0.02)
    assert auto_levels(with_logo)[page() < 0.5].mean() < pale[page() < 0.5].mean() - 0.15


def test_the_stretch_is_capped():
    faint = page(paper=0.92, ink=0.85)  # ink 0.07 below the paper: stretched, but 3x at most
    fixed = auto_levels(faint)
    assert page_levels(fixed)[1] == pytest.approx(3 * page_levels(faint)[1], rel=0.05)


def test_blank_paper_and_black_pages_do_not_blow_up():
    blank = np.full((50, 50), 0.8, np.float32)
    assert np.isfinite(auto_levels(blank)).all() and auto_levels(blank).max() <= 1
    black = np.zeros((50, 50), np.float32)
    assert (auto_levels(black) == 0).all()


def test_the_engine_applies_it_only_when_asked():
    from docclean import Denoiser
    from tests.docclean.test_engine import NumpyBackend

    dark = page() * 0.7
    plain = Denoiser(NumpyBackend(), tile_size=512).clean(dark)
    levelled = Denoiser(NumpyBackend(), tile_size=512, auto_levels=True).clean(dark)
    np.testing.assert_allclose(plain, dark * 0.5, atol=1e-6)
    np.testing.assert_allclose(levelled, auto_levels(dark) * 0.5, atol=1e-6)


def dithered(level: float, shape: tuple[int, int] = (120, 160)) -> np.ndarray:
    """A flat grey ``level`` as 1-bit dither (ordered: the share of white dots is the level)."""
    bayer = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], np.float32) / 16 + 1 / 32
    tiles = np.tile(bayer, (shape[0] // 4, shape[1] // 4))
    return (tiles < level).astype(np.float32)


def test_a_dithered_page_is_softened_back_to_its_grey():
    page = dithered(0.9)
    page[40:80, 60:100] = dithered(0.2)[40:80, 60:100]  # a dark patch of dither on light paper
    assert is_bilevel(page)
    soft = soften_bilevel(page)
    assert np.unique(page).size == 2 and np.unique(soft).size > 10
    assert soft[10:30, 10:50].mean() == pytest.approx(0.9, abs=0.03)  # dots read as the paper's grey
    assert soft[50:70, 70:90].mean() == pytest.approx(0.2, abs=0.03)
    assert soft[10:30, 10:50].std() < page[10:30, 10:50].std() / 2


def test_two_grey_levels_count_as_bilevel_and_a_grey_scan_is_left_alone():
    two = np.where(page() < 0.5, np.float32(0.1), np.float32(0.85))
    assert is_bilevel(two) and not is_bilevel(page())
    grey = page()
    assert soften_bilevel(grey) is grey


def test_a_few_grey_pixels_make_a_page_grey():
    two = np.where(page() < 0.5, np.float32(0.0), np.float32(1.0))
    two[2, 3] = 0.5  # off the sampled grid
    assert not is_bilevel(two)


def test_a_tolerance_lets_a_few_sampled_grey_pixels_through():
    two = np.where(page() < 0.5, np.float32(0.0), np.float32(1.0))
    two[2, 3] = 0.5  # off the sampled grid: with a tolerance only the sample is judged
    assert is_bilevel(two, 0.01)
    sample = two[::4, ::4]
    two[::4, ::4].flat[: sample.size // 100] = 0.5  # 1% of the sample: still two levels, give or take
    assert is_bilevel(two, 0.01)
    two[::4, ::4].flat[: sample.size // 100 + 1] = 0.5
    assert not is_bilevel(two, 0.01) and not is_bilevel(two)


def test_a_receipt_on_a_dark_scanner_lid_keeps_its_faint_print():
    receipt = page(paper=0.87, ink=0.4)  # faded print on ordinary paper
    frame = np.full((200, 900), 0.15, np.float32)  # the lid: two thirds of the scan
    frame[:, 300:600] = receipt
    paper, _ = page_levels(frame)
    assert paper == pytest.approx(0.87, abs=0.02)  # the receipt's paper, not the lid
    fixed = auto_levels(frame)[:, 300:600]
    ink = receipt < 0.5
    assert fixed[ink].mean() < 0.5  # the old median rule multiplied by 5.7: print turned white


def text_page(shape: tuple[int, int] = (400, 600)) -> np.ndarray:
    """Rows of short dark strokes (letters of 2-4 px) on grainy paper 0.9."""
    rng = np.random.default_rng(1)
    p = np.full(shape, 0.9, np.float32) + rng.normal(0, 0.01, shape).astype(np.float32)
    for y in range(20, shape[0] - 30, 24):
        for x in range(20, shape[1] - 20, 9):
            w = 2 + x % 3
            p[y:y + 14, x:x + w] = 0.15
    return np.clip(p, 0, 1)


def test_a_negative_is_found_and_a_positive_is_not():
    assert is_negative(1 - text_page()) and not is_negative(text_page())


def test_a_page_on_a_dark_lid_or_half_in_shadow_with_specks_is_not_a_negative():
    frame = np.full((400, 1800), 0.15, np.float32)
    frame[:, 600:1200] = text_page()
    assert not is_negative(frame)
    shadowed = text_page() * np.linspace(1.0, 0.45, 600, dtype=np.float32)[None, :]  # the right half dark
    rng = np.random.default_rng(2)
    shadowed[rng.random(shadowed.shape) < 0.02] = 0.05  # pepper specks all over
    assert not is_negative(shadowed)


def test_a_dark_table_whose_rules_cut_its_paper_apart_is_not_a_negative():
    table = np.full((400, 600), 0.3, np.float32)  # a dark, shadowed page; its cells' light corners
    for y in range(0, 400, 80):                    # are many separate patches, but wide ones
        for x in range(0, 600, 75):
            table[y + 8:y + 48, x + 8:x + 52] = 0.9
    assert not is_negative(table)
    assert is_negative(np.where(text_page() < 0.5, np.float32(0.9), np.float32(0.3)))  # thin marks are


def test_a_negative_whose_stain_became_a_light_blotch_is_found_by_its_thin_marks():
    positive = text_page()
    yy, xx = np.mgrid[:400, :600]
    stain = ((yy - 200) ** 2 + (xx - 300) ** 2 < 80 ** 2).astype(np.float32)
    negative = 1 - positive * (1 - 0.6 * stain)  # the stain darkened the paper; inverted, a light blotch
    light, largest, thick = light_marks(negative)
    assert light < NEGATIVE_LIGHT and not (largest < NEGATIVE_LARGEST and thick < NEGATIVE_THICK)  # missed before
    dark, light_marks_ = thin_marks(negative)
    assert light_marks_ >= NEGATIVE_MARKS and dark < light_marks_ / 10
    assert is_negative(negative)
    assert not is_negative(positive * (1 - 0.6 * stain))
