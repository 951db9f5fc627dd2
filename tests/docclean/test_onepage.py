"""Tests for docclean.onepage: the ink-loss figure judges the page that is written."""

import numpy as np

from docclean.onepage import clean_page
from docclean.pixels import Page
from docclean.settings import CleanSettings
from docclean.synth import render_page
from tests.concurrency import run_together


class Lighten:
    """A stand-in cleaner: whitens the paper and draws every stroke mid-grey (0.5)."""

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        return np.where(gray < 0.5, 0.5, 1.0).astype(np.float32)


def page() -> Page:
    return Page(render_page(300, 200, dpi=100, font_pt=12) * np.float32(0.9), None, None, 0)


def test_ink_loss_judges_the_written_page():
    grey = clean_page(page(), CleanSettings(), Lighten())
    assert grey.ink_loss < 0.05  # mid-grey strokes are kept strokes
    # A fixed cut at 0.5 turns the same mid-grey strokes into paper: the written page lost them.
    cut = clean_page(page(), CleanSettings(binarize=True, threshold=0.5), Lighten())
    assert cut.pixels.dtype == np.bool_ and cut.pixels.all()
    assert cut.ink_loss > 0.9
    adaptive = clean_page(page(), CleanSettings(binarize=True), Lighten())
    assert adaptive.ink_loss < 0.05


class Identity:
    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        return gray.astype(np.float32)


def test_remove_show_through_reaches_the_written_page_and_the_guard_sees_it():
    gray = np.ones((80, 120), np.float32)
    gray[10:70, 10:13] = gray[10:70, 30:33] = 0.05  # the page's own writing
    gray[20:40, 60:63] = gray[50:60, 80:100] = 0.55  # the other side's, showing through
    kept = clean_page(Page(gray, None, None, 0), CleanSettings(binarize=True), Identity())
    dropped = clean_page(Page(gray, None, None, 0), CleanSettings(binarize=True, remove_show_through=True), Identity())
    assert not kept.pixels[20:40, 60:63].any() and dropped.pixels[20:40, 60:63].all()
    assert not dropped.pixels[10:70, 10:13].any()
    assert dropped.ink_loss > kept.ink_loss + 0.2  # what was dropped is reported, not hidden
    assert kept.show_through is None and dropped.show_through > 0.2
    alone = np.where(gray > 0.5, np.float32(1.0), gray)  # the writing alone: one layer, nothing dropped
    assert clean_page(Page(alone, None, None, 0), CleanSettings(binarize=True, remove_show_through=True),
                      Identity()).show_through == 0.0


class Positive:
    """A stand-in cleaner that cleans as the engine does: a negative is cleaned inverted."""

    def __init__(self, erase: bool = False) -> None:
        self.erase = erase

    def clean(self, gray: np.ndarray, progress: object = None) -> np.ndarray:
        from docclean.levels import as_positive

        positive = as_positive(gray)
        return np.ones_like(positive) if self.erase else np.where(positive < 0.5, 0.0, 1.0).astype(np.float32)


def test_the_guard_judges_a_negative_by_its_positive():
    text = render_page(600, 400, dpi=150, font_pt=12)
    negative = Page((1 - text * 0.8 - 0.1).astype(np.float32), None, None, 0)
    kept = clean_page(negative, CleanSettings(), Positive())
    assert kept.ink_loss < 0.05 and kept.pixels[text < 0.5].mean() < 0.1  # dark writing on white
    assert clean_page(negative, CleanSettings(), Positive(erase=True)).ink_loss > 0.9


def test_a_colour_negative_with_keep_color_is_written_as_its_clean_positive_in_grey():
    """A slide's light writing on navy: its colours put back on the positive tinted the cleaned
    white paper navy-grey again and outlined the letters; the page is written grey instead."""
    text = render_page(600, 400, dpi=150, font_pt=12)
    gray = (1 - text * 0.8 - 0.1).astype(np.float32)  # light writing on dark paper
    navy = np.stack([gray * 90, gray * 110, 60 + gray * 190], axis=-1).astype(np.uint8)
    out = clean_page(Page(gray, navy, None, 0), CleanSettings(color="keep"), Positive())
    assert out.inverted and out.pixels.ndim == 2
    assert out.pixels[text > 0.9].mean() > 0.95 and out.pixels[text < 0.5].mean() < 0.1
    positive = Page(text.astype(np.float32), np.repeat((text[..., None] * 255).astype(np.uint8), 3, -1), None, 0)
    assert clean_page(positive, CleanSettings(color="keep"), Positive()).pixels.ndim == 3  # colour kept


def test_settings_said_to_leave_the_pixels_alone_do(tiny_model_path):  # type: ignore[no-untyped-def]
    """Resumed files and previews take :data:`SAME_PIXELS` on trust: changing all of them at once
    (a different split of the work over threads and tiles a call) writes the same page."""
    from docclean.settings import SAME_PIXELS

    big = Page(render_page(700, 560, dpi=100, font_pt=12) * np.float32(0.9), None, None, 0)
    base = CleanSettings(model=str(tiny_model_path), device="cpu", backend="torch", tile_size=256, threads=2)
    other = base.replace(threads=1, batch_size=3, fmt="tiff", ink_warning=0.5, overwrite=True, dry_run=True,
                         max_pixels=10**7)
    assert {name for name, _ in base.pixel_key()} | SAME_PIXELS == set(base.to_dict())
    assert other.pixel_key() == base.pixel_key() and base.replace(overlap=32).pixel_key() != base.pixel_key()
    np.testing.assert_array_equal(clean_page(big, base).pixels, clean_page(big, other).pixels)


def _counted_loads(monkeypatch):  # type: ignore[no-untyped-def]
    """Denoiser.from_settings replaced by a slow stand-in that counts its loads; the cache emptied."""
    import time

    import docclean.engine
    import docclean.onepage

    monkeypatch.setattr(docclean.onepage, "_CLEANERS", docclean.onepage.OrderedDict())
    loads: list[object] = []

    def slow_load(settings: CleanSettings) -> object:
        time.sleep(0.2)  # every thread arrives while the first one loads
        loads.append(object())
        return loads[-1]

    monkeypatch.setattr(docclean.engine.Denoiser, "from_settings", staticmethod(slow_load))
    return loads


def test_threads_asking_at_once_share_one_load_and_one_model(monkeypatch):  # type: ignore[no-untyped-def]
    """OCRmyPDF 17 runs --jobs pages in threads: they must share one model, loaded once even when
    they all start at once (separate OpenVINO runtimes inferring side by side deadlocked)."""

    from docclean.onepage import load_cleaner

    loads = _counted_loads(monkeypatch)
    got, errors = run_together(lambda n: load_cleaner(CleanSettings()), 4, timeout=30)
    assert not errors and len(got) == 4 and all(c is got[0] for c in got) and len(loads) == 1
    assert load_cleaner(CleanSettings(tile_size=512)) is not got[0] and len(loads) == 2  # another engine setting


def test_a_forked_child_loads_its_own_model(monkeypatch):  # type: ignore[no-untyped-def]
    """A forked worker (OCRmyPDF --no-use-threads) never takes its parent's model, whose runtime
    threads did not survive the fork."""
    import multiprocessing
    import os

    import pytest

    if not hasattr(os, "fork"):
        pytest.skip("fork only")
    from docclean.onepage import load_cleaner

    loads = _counted_loads(monkeypatch)
    parents = load_cleaner(CleanSettings())

    def child(queue) -> None:  # type: ignore[no-untyped-def]
        import docclean.onepage

        inherited = len(docclean.onepage._CLEANERS)
        mine = load_cleaner(CleanSettings())
        queue.put((inherited, mine is parents, load_cleaner(CleanSettings()) is mine))

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=child, args=(queue,))
    proc.start()
    try:
        assert queue.get(timeout=60) == (0, False, True)  # none inherited; its own, loaded once
    finally:
        proc.join(timeout=30)
    assert load_cleaner(CleanSettings()) is parents and len(loads) == 1


def test_a_forked_child_never_frees_its_parents_models(monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """Freeing a loaded runtime in a forked child runs its destructor, which waits for threads the
    fork did not copy: a child Ray started (its subprocesses run the fork hooks) hung for good."""
    import multiprocessing
    import os

    import pytest

    import docclean.onepage

    if not hasattr(os, "fork"):
        pytest.skip("fork only")
    parent, freed = os.getpid(), tmp_path / "freed-in-a-child"

    class Runtime:
        def __del__(self) -> None:
            if os.getpid() != parent:
                freed.write_text("a child ran the destructor")

    monkeypatch.setattr(docclean.onepage, "_CLEANERS", docclean.onepage.OrderedDict({("key",): Runtime()}))
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=lambda: None)
    proc.start()
    proc.join(timeout=30)
    assert proc.exitcode == 0 and not freed.exists()


def test_clean_page_takes_arrays_and_pil_images_as_the_file_reader_reads_them(tmp_path):
    import pytest
    from PIL import Image

    from docclean.errors import UsageError
    from docclean.io import as_page, read_pages

    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:] = (250, 240, 200)
    rgb[10:20, 5:35] = (20, 30, 120)
    Image.fromarray(rgb).save(tmp_path / "a.png", dpi=(150, 150))
    from_file = next(read_pages(tmp_path / "a.png"))
    settings = CleanSettings(color="keep")
    expected = clean_page(from_file, settings, Identity()).pixels
    for given in [rgb, Image.open(tmp_path / "a.png"), np.dstack([rgb, np.full((30, 40), 255, np.uint8)])]:
        np.testing.assert_array_equal(clean_page(given, settings, Identity()).pixels, expected)
    assert as_page(Image.open(tmp_path / "a.png")).dpi == pytest.approx((150, 150), abs=0.1)
    assert as_page(rgb, dpi=300).dpi == (300.0, 300.0)
    grey = (from_file.gray * 65535).astype(np.uint16)
    np.testing.assert_allclose(clean_page(grey, CleanSettings(), Identity()).pixels, from_file.gray, atol=1e-4)
    np.testing.assert_array_equal(as_page(grey[..., None]).gray, as_page(grey).gray)
    for wrong in ["a.png", np.zeros((4, 4, 3), np.float32), np.zeros((4, 4, 2), np.uint8)]:
        with pytest.raises(UsageError, match="cannot clean"):
            clean_page(wrong, CleanSettings(), Identity())
