"""Tests for docclean.synth.boxes and ``PairKind.boxes``: a block of form boxes with writing in it
takes the place of the page's content there, the target keeps the writing and the rules and not
the shading, and at 0 nothing changes."""

import json

import cv2
import numpy as np
import pytest

from docclean.errors import DataError
from docclean.synth import PairKind, make_pair, render_layout, write_pairs
from docclean.synth.boxes import form_boxes, writing_ink
from docclean.synth.ink import INKS


def test_boxes_hold_writing_between_their_rules_and_the_shading_inside_them():
    shaded = 0
    for seed in range(12):
        layer = form_boxes(400, 400, 150, np.random.default_rng(seed))
        y0, y1, x0, x1 = layer.region
        assert 0 <= y0 < y1 <= 400 and 0 <= x0 < x1 <= 400
        outside = np.ones((400, 400), bool)
        outside[y0:y1, x0:x1] = False
        assert layer.rules[outside].max() == 0 and layer.writing[outside].max() == 0
        assert np.all(layer.tint[outside] == 1)
        rows = np.flatnonzero((layer.rules > 0.5).mean(axis=1) > 0.2)  # the horizontal rules
        assert rows.size >= 1
        if layer.writing.max() > 0 and rows.size >= 2:
            ink_rows = np.flatnonzero(layer.writing.max(axis=1) > 0.5)
            assert (ink_rows > rows.min()).mean() > 0.5  # written below the first rule, mostly
        if layer.tint.min() < 1:
            shaded += 1
            assert 0.7 <= layer.tint.min() <= 0.95  # light, even: shading, not a printed fill
    assert shaded >= 2


def test_writing_in_boxes_is_pencil_half_of_the_time():
    names = [writing_ink(np.random.default_rng(s)).name for s in range(200)]
    assert 70 <= names.count("pencil") <= 130
    assert set(names) <= {i.name for i in INKS} and len(set(names)) >= 4


def _layer_of(seed: int, dpi: int, size: int):
    """The block of boxes ``make_pair`` draws for ``seed`` (its stream is spawned right after the layout)."""
    rng = np.random.default_rng(seed)
    render_layout(size, size, dpi, rng)
    brng = rng.spawn(1)[0]
    brng.random()
    return form_boxes(size, size, dpi, brng)


def test_boxes_are_kept_in_the_target_shading_is_not_and_at_zero_nothing_changes():
    for seed in range(4):
        base = make_pair(np.random.default_rng(seed), dpi=150, height=256, width=256)
        zero = make_pair(np.random.default_rng(seed), dpi=150, height=256, width=256, kind=PairKind(boxes=0.0))
        assert all(np.array_equal(x, y) for x, y in zip(base, zero))
    kept = shaded = 0
    for seed in range(10):
        noisy, clean = make_pair(np.random.default_rng(seed), dpi=150, height=256, width=256,
                                 kind=PairKind(boxes=1.0))
        layer = _layer_of(seed, 150, 256)
        written = layer.writing > 0.5
        if written.sum() > 20:
            kept += np.median(clean[written]) < 0.75  # pencil too: strengthened, never erased
        tinted = (layer.tint < 1) & (cv2.dilate(np.maximum(layer.rules, layer.writing), np.ones((5, 5))) == 0)
        if tinted.sum() > 100:
            shaded += 1
            assert (clean[tinted] == 1.0).mean() > 0.95  # the shading is paper in the target
    assert kept >= 6 and shaded >= 2


def test_a_set_record_names_boxes_only_when_they_are_on(tmp_path):
    write_pairs(tmp_path / "plain", 1, seed=1, dpis=(100,), size=64)
    assert "boxes" not in json.loads((tmp_path / "plain" / "set.json").read_text())["kind"]  # as sets before
    with pytest.raises(DataError, match=r"other options \(--boxes: 0 there, 0.3 now\)"):
        write_pairs(tmp_path / "plain", 2, seed=1, dpis=(100,), size=64, kind=PairKind(boxes=0.3))
    assert len(write_pairs(tmp_path / "boxed", 2, seed=1, dpis=(100,), size=64, kind=PairKind(boxes=0.3))) == 2
