"""Tests for docclean.synth: fields are smooth darkenings, degrade keeps shape and range."""

import numpy as np

from docclean.synth import crease_field, degrade, render_page, shadow_field, stain_field


def test_fields_darken_within_range():
    rng = np.random.default_rng(0)
    for field in (shadow_field(40, 50, rng), stain_field(40, 50, rng), crease_field(40, 50, rng)):
        assert field.shape == (40, 50) and field.dtype == np.float32
        assert 0 < field.min() <= field.max() <= 1


def test_degrade_is_seeded_and_darkens():
    clean = np.ones((48, 64), np.float32)
    a = degrade(clean, np.random.default_rng(5))
    b = degrade(clean, np.random.default_rng(5))
    assert np.array_equal(a, b) and a.shape == clean.shape
    assert 0 <= a.min() and a.max() <= 1 and a.mean() < 0.97


def test_render_page_has_text():
    page = render_page(400, 300, dpi=100, font_pt=10)
    assert page.shape == (300, 400)
    assert (page < 0.5).mean() > 0.01 and page[:20].min() == 1.0  # ink inside, blank margin
