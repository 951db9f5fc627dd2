"""Tests for docclean.synth: fields darken, effects do the damage they name, pairs are seeded and
their ink ranges from black to faint, the on-disk set is a cache."""

import numpy as np

from docclean.synth import (
    PairKind,
    crease_field,
    damage,
    degrade,
    fonts,
    make_pair,
    paper_texture,
    render_layout,
    render_page,
    shadow_field,
    stain_field,
    write_pairs,
)
from docclean.synth.fonts import FAMILIES, missing_fonts_note, pick_font
from docclean.synth.ink import INKS, UNEVEN_FLOOR, Ink, ink_strength, uneven_ink


def test_fields_darken_within_range():
    rng = np.random.default_rng(0)
    for field in (shadow_field(40, 50, rng), stain_field(40, 50, rng), crease_field(40, 50, rng),
                  paper_texture(40, 50, rng)):
        assert field.shape == (40, 50) and field.dtype == np.float32
        assert 0 < field.min() <= field.max() <= 1


def test_stain_darkens_paper():
    field = stain_field(120, 120, np.random.default_rng(3))
    assert field.min() < 0.9 and np.median(field) > 0.75


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


def test_salt_and_pepper_adds_isolated_pixels():
    page = np.full((100, 100), 0.8, np.float32)
    out = damage.salt_and_pepper(page, np.random.default_rng(1), amount=0.01)
    dark = out < 0.5
    assert 50 < dark.sum() < 200 and (out == 1.0).sum() > 20
    # isolated: almost no dark pixel has a dark 4-neighbour
    neighbours = dark[1:, :] & dark[:-1, :]
    assert neighbours.sum() < 0.1 * dark.sum()


def test_bleed_through_and_border_and_speckle_darken():
    rng = np.random.default_rng(2)
    page = np.ones((80, 80), np.float32)
    back = np.zeros((80, 80), np.float32)
    back[20:30, 10:70] = 1
    shown = damage.bleed_through(page, back, rng, strength=0.2)
    assert 0.75 < shown.min() < 0.95 and shown[:5].min() == 1.0
    bordered, mask = damage.scanner_border(page, rng)
    assert mask.max() > 0.9 and bordered[mask > 0.9].max() < 0.5
    assert damage.speckle(np.ones((300, 300), np.float32), rng, dpi=300).min() < 0.7
    assert damage.jpeg(page * 0.5, rng, quality=50).shape == page.shape


def test_faint_ink_contrast_in_range():
    coverage = np.zeros((64, 64), np.float32)
    coverage[10:50, 30:33] = 1.0
    faint = next(i for i in INKS if i.name == "faint")
    for seed in range(5):
        absorb, target = ink_strength(coverage, Ink("faint", faint.contrast), np.random.default_rng(seed))
        stroke = absorb[coverage == 1]
        assert 0.07 <= np.median(stroke) <= 0.3  # 10-25% of the paper's brightness
        # The target keeps the stroke, darker than on the noisy page but lighter than black ink.
        assert np.median(stroke) * 2 < target[coverage == 1].mean() < 0.7


def test_black_ink_targets_black_and_faint_stays_lighter():
    coverage = np.ones((8, 8), np.float32)
    black = ink_strength(coverage, Ink("black", (0.9, 0.9)), np.random.default_rng(0))[1]
    faint = ink_strength(coverage, Ink("faint", (0.15, 0.15)), np.random.default_rng(0))[1]
    assert black.min() == 1.0 and 0.4 < faint.max() < black.min()


def test_uneven_ink_fades_part_of_a_stroke_but_keeps_it_visible():
    coverage = np.zeros((200, 200), np.float32)
    coverage[20:180, 98:103] = 1.0  # a long vertical stroke, 5 px wide
    absorb = coverage * np.float32(0.6)
    faded = uneven_ink(absorb, np.random.default_rng(3), dpi=300)
    along = faded[20:180, 100]
    assert along.min() < 0.5 * along.max()  # some stretch of it faded...
    assert along.min() >= 0.8 * UNEVEN_FLOOR  # ...but it is never erased
    assert faded[100, 97] > 0 and faded[100, 90] == 0  # the ink spread into the paper, a little


def test_uneven_zero_reproduces_older_sets_and_uneven_fades_the_noisy_page_only():
    old = make_pair(np.random.default_rng(9), dpi=150, height=160, width=160)
    same = make_pair(np.random.default_rng(9), dpi=150, height=160, width=160, kind=PairKind(uneven=0.0))
    faded = make_pair(np.random.default_rng(9), dpi=150, height=160, width=160, kind=PairKind(uneven=1.0))
    assert all(np.array_equal(x, y) for x, y in zip(old, same))
    assert np.array_equal(old[1], faded[1]) and not np.array_equal(old[0], faded[0])


def test_pairs_are_seeded_and_hold_ink():
    a = make_pair(np.random.default_rng(7), dpi=150, height=160, width=160)
    b = make_pair(np.random.default_rng(7), dpi=150, height=160, width=160)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    noisy, clean = a
    assert noisy.shape == clean.shape == (160, 160) and noisy.dtype == np.float32
    assert 0 <= noisy.min() and noisy.max() <= 1 and clean.max() == 1.0
    assert 0.005 < (clean < 0.5).mean() < 0.6


def test_layout_renders_every_family_at_any_dpi():
    rng = np.random.default_rng(0)
    for family in FAMILIES:
        assert pick_font(family, 20, rng) is not None
    for dpi in (100, 600):
        side = 2 * dpi  # two inches: at 600 dpi a 200-pixel page can lie inside the margin
        main, extra = render_layout(side, side, dpi, rng)
        assert main.shape == extra.shape == (side, side) and main.max() > 0.5


def test_write_pairs_caches(tmp_path):
    names = write_pairs(tmp_path, 3, seed=1, dpis=(100, 300), size=96)
    assert len(names) == 3 and len(list((tmp_path / "clean").iterdir())) == 3
    first = (tmp_path / "noisy" / names[0]).read_bytes()
    stamp = (tmp_path / "noisy" / names[0]).stat().st_mtime_ns
    assert write_pairs(tmp_path, 3, seed=1, dpis=(100, 300), size=96) == names
    assert (tmp_path / "noisy" / names[0]).stat().st_mtime_ns == stamp  # not rendered again
    other = tmp_path / "again"
    write_pairs(other, 1, seed=1, dpis=(100, 300), size=96)
    assert (other / "noisy" / names[0]).read_bytes() == first  # deterministic for a seed


def test_missing_fonts_note_names_the_packages_of_the_missing_files(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "FONT_DIRS", (tmp_path,))
    for rel in [rel for files in FAMILIES.values() for rel in files if not rel.startswith("liberation/")]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    note = missing_fonts_note()
    assert note is not None and "apt-get install fonts-liberation" in note and note.endswith("fonts-liberation")
    for rel in [rel for files in FAMILIES.values() for rel in files if rel.startswith("liberation/")]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    assert missing_fonts_note() is None


def test_a_set_folder_refuses_pairs_of_another_size_or_kind(tmp_path):
    import pytest

    from docclean.errors import DataError
    from docclean.synth.pairs import PairKind

    write_pairs(tmp_path, 1, seed=1, dpis=(100,), size=64)
    with pytest.raises(DataError, match=r"other options \(--size: 64 there, 96 now\)"):
        write_pairs(tmp_path, 2, seed=1, dpis=(100,), size=96)
    with pytest.raises(DataError, match=r"other options \(--uneven: 0 there, 0.5 now\)"):
        write_pairs(tmp_path, 2, seed=1, dpis=(100,), size=64, kind=PairKind(uneven=0.5))
    with pytest.raises(DataError, match=r"\(--dpi: 100 there, 150 300 now; graded: True there, False now\)"):
        write_pairs(tmp_path, 2, seed=1, dpis=(150, 300), size=64, kind=PairKind(graded=False))
    assert len(write_pairs(tmp_path, 2, seed=2, dpis=(100,), size=64)) == 2  # another seed, same options: fine


def test_write_pairs_refuses_a_negative_seed_and_a_record_that_is_not_an_object(tmp_path):
    import pytest

    from docclean.errors import DataError

    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        write_pairs(tmp_path / "a", 1, seed=-1, dpis=(100,), size=64)
    assert not (tmp_path / "a").exists()
    (tmp_path / "set.json").write_text('"64"')
    with pytest.raises(DataError, match="JSON object.*str"):
        write_pairs(tmp_path, 1, dpis=(100,), size=64)
    assert not (tmp_path / "noisy").exists()


def test_signals_held_back_by_a_write_are_all_delivered_sigterm_first() -> None:
    """A worker ignores SIGINT (Ctrl-C reaches the whole group); the parent's SIGTERM that follows
    it, held back while the worker finished a pair, must still stop it. Run in a process of its
    own: real signals sent to pytest's process reach the libraries living there (Ray's threads)."""
    import subprocess
    import sys
    from pathlib import Path

    script = """
import os, signal
from docclean.synth.workers import stop_signals_deferred
got = []
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, lambda n, f: got.append(n))
with stop_signals_deferred():
    os.kill(os.getpid(), signal.SIGINT)
    os.kill(os.getpid(), signal.SIGTERM)
    assert got == [], got  # held back while the block runs
assert got == [signal.SIGTERM], got
print("ok")
"""
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_full_disk_is_named_and_leaves_no_half_pair(tmp_path, monkeypatch):
    import errno
    from contextlib import contextmanager

    import pytest

    import docclean.synth.pairs as synth_pairs
    from docclean.errors import OutputError

    real = synth_pairs.atomic_path

    @contextmanager
    def full_for_noisy(path, suffix=".tmp"):
        if path.parent.name == "noisy" and path.name.startswith("s1-00001"):
            raise OSError(errno.ENOSPC, "No space left on device")
        with real(path, suffix) as tmp:
            yield tmp

    monkeypatch.setattr(synth_pairs, "atomic_path", full_for_noisy)
    with pytest.raises(OutputError, match="cannot write the pair \\(the disk is full\\)") as info:
        write_pairs(tmp_path, 3, seed=1, dpis=(100,), size=64)
    assert info.value.path == tmp_path / "noisy" / "s1-00001-100dpi.png"
    held = {side: sorted(p.name for p in (tmp_path / side).iterdir()) for side in ("noisy", "clean")}
    assert held["noisy"] == held["clean"] == ["s1-00000-100dpi.png"]  # the clean half of pair 1 was removed


def test_marker_strokes_are_broad_pen_strokes_at_any_dpi():
    import cv2

    from docclean.synth.layout import marker_strokes

    for dpi in (100, 300, 600):
        cover = marker_strokes(3 * dpi, 3 * dpi, dpi, np.random.default_rng(dpi))
        assert cover.shape == (3 * dpi, 3 * dpi) and cover.dtype == np.float32 and cover.max() == 1.0
        half_width = cv2.distanceTransform((cover > 0.5).astype(np.uint8), cv2.DIST_L2, 5).max()
        assert dpi / 150 <= half_width <= dpi / 25 + 1  # a sixtieth to a twenty-fifth of an inch wide (crossings wider)


def test_markers_cross_the_page_in_the_target_and_at_zero_change_nothing():
    import cv2

    base = make_pair(np.random.default_rng(5), dpi=300, height=256, width=256)
    zero = make_pair(np.random.default_rng(5), dpi=300, height=256, width=256, kind=PairKind(markers=0.0))
    marked = make_pair(np.random.default_rng(5), dpi=300, height=256, width=256, kind=PairKind(markers=1.0))
    assert all(np.array_equal(x, y) for x, y in zip(base, zero))
    added = marked[1] < base[1] - 0.1  # the target keeps the marks
    assert added.mean() > 0.005
    assert cv2.distanceTransform(added.astype(np.uint8), cv2.DIST_L2, 5).max() >= 2.5  # broad strokes
    assert marked[0][added].mean() < base[0][added].mean() - 0.02  # and the scan shows them


def test_a_set_record_names_markers_only_when_they_are_on(tmp_path):
    import json

    import pytest

    from docclean.errors import DataError

    write_pairs(tmp_path / "plain", 1, seed=1, dpis=(100,), size=64)
    assert "markers" not in json.loads((tmp_path / "plain" / "set.json").read_text())["kind"]  # as sets before
    with pytest.raises(DataError, match=r"other options \(--markers: 0 there, 0.5 now\)"):
        write_pairs(tmp_path / "plain", 2, seed=1, dpis=(100,), size=64, kind=PairKind(markers=0.5))
    write_pairs(tmp_path / "marked", 1, seed=1, dpis=(100,), size=64, kind=PairKind(markers=0.5))
    with pytest.raises(DataError, match=r"other options \(--markers: 0.5 there, 0 now\)"):
        write_pairs(tmp_path / "marked", 2, seed=1, dpis=(100,), size=64)
    assert len(write_pairs(tmp_path / "marked", 2, seed=1, dpis=(100,), size=64, kind=PairKind(markers=0.5))) == 2


def test_damage_lines_darken_the_scan_only_and_at_zero_change_nothing():
    darkened = 0
    for seed in range(4):
        base = make_pair(np.random.default_rng(seed), dpi=300, height=384, width=384)
        zero = make_pair(np.random.default_rng(seed), dpi=300, height=384, width=384, kind=PairKind(lines=0.0))
        lined = make_pair(np.random.default_rng(seed), dpi=300, height=384, width=384, kind=PairKind(lines=1.0))
        assert all(np.array_equal(x, y) for x, y in zip(base, zero))
        assert np.all(lined[1] >= base[1])  # a fold is not ink, and a border band is paper in the target
        darkened += (lined[0] < base[0] - 0.05).mean() > 0.01
    assert darkened >= 3  # a fold or a band darkens the scan (a photocopy's contrast may whiten a faint fold)
