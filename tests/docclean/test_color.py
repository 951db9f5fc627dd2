"""Tests for docclean.color: colour put back on the cleaned page keeps ink, stamps and highlighter,
and drops yellowed paper and stains."""

import numpy as np
import pytest

from docclean.color import recolor

H, W = 24, 16


def page_with(ground: tuple[int, int, int], mark: tuple[int, int, int]) -> np.ndarray:
    color = np.empty((H, W, 3), np.uint8)
    color[:] = ground
    color[10:14, 4:12] = mark
    return color


def test_paper_turns_neutral_white_and_ink_keeps_its_hue() -> None:
    color = page_with((235, 225, 190), (200, 30, 30))  # yellowed paper, red ink
    clean = np.ones((H, W), np.float32)
    clean[10:14, 4:12] = 0.25
    out = recolor(clean, color)
    assert out.dtype == np.uint8 and out.shape == (H, W, 3)
    assert (out[0, 0] == 255).all()  # paper: neutral white, no yellow tint
    r, g, b = (int(v) for v in out[11, 5])
    assert r > 120 and r - g > 80 and r - b > 80  # ink: still clearly red
    with pytest.raises(ValueError):
        recolor(clean[:-1], color)


@pytest.mark.parametrize("band", [(255, 255, 51), (120, 255, 120), (255, 130, 200), (110, 200, 255)],
                         ids=["yellow", "green", "pink", "blue"])
def test_highlighter_keeps_its_hue_even_where_the_model_whitened_it(band: tuple[int, int, int]) -> None:
    color = page_with((250, 250, 248), band)
    clean = np.ones((H, W), np.float32)  # the model turned the light band into paper
    out = recolor(clean, color).astype(int)
    spread = out[11, 5].max() - out[11, 5].min()
    assert spread > 0.6 * (max(band) - min(band))
    assert np.argmin(out[11, 5]) == np.argmin(band) and np.argmax(out[11, 5]) == np.argmax(band)
    assert (out[0, 0] == 255).all()


@pytest.mark.parametrize("stain", [(200, 170, 130), (225, 205, 160), (180, 160, 140)], ids=["coffee", "tea", "grime"])
def test_stains_and_casts_go(stain: tuple[int, int, int]) -> None:
    color = page_with((240, 232, 205), stain)
    clean = np.ones((H, W), np.float32)
    out = recolor(clean, color).astype(int)
    assert out[11, 5].min() >= 245 and out[0, 0].min() >= 250
