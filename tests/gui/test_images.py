"""Display conversions: the written 8-bit pixels, zoom levels, and the removed-marks overlay."""

from __future__ import annotations

import numpy as np

from gui.images import display_pixels, level_image, qimage_array, removed_overlay


def test_removed_overlay_marks_erased_strokes_not_whitened_paper() -> None:
    original = np.full((80, 80), 0.7, np.float32)  # stained grey paper
    original[20:30, 10:70] = 0.15  # a stroke that survives
    original[50:60, 10:70] = 0.15  # a stroke that cleaning erases
    output = np.ones_like(original)  # paper turns white
    output[20:30, 10:70] = 0.05
    rgb = removed_overlay(original, output).astype(int)
    red = (rgb[..., 0] - rgb[..., 1]) > 100
    assert red[52:58, 15:65].all()
    assert not red[22:28, 15:65].any()
    assert not red[5:15].any() and not red[70:].any()


def test_display_pixels_and_levels() -> None:
    one_bit = np.zeros((10, 12), bool)
    one_bit[:, 6:] = True
    shown = display_pixels(one_bit)
    assert shown.dtype == np.uint8 and set(np.unique(shown)) == {0, 255}
    grey = display_pixels(np.linspace(0, 1, 3000 * 20, dtype=np.float32).reshape(20, 3000))
    levels = level_image(grey)
    assert [lv.width() for lv in levels.levels] == [3000, 1500, 750]
    assert np.array_equal(qimage_array(levels.full), grey)
    rgb = np.random.default_rng(0).integers(0, 255, (7, 9, 3), dtype=np.uint8)
    assert np.array_equal(qimage_array(level_image(rgb).full), rgb)
