"""Tests for docclean.engine and the backend seam: tiled cleaning through any backend, tile
progress and cancel, device/precision/model resolution, the shipped model."""

import numpy as np
import pytest
import torch

from docclean import Denoiser
from docclean.backends.torch_backend import TorchBackend, resolve_device, resolve_precision
from docclean.errors import Cancelled, ModelError, UsageError
from docclean.levels import soften_bilevel
from docclean.model import DocUNet, DocUNetConfig
from docclean.models import builtin_models, resolve_model_path
from docclean.progress import TileProgress
from docclean.whiten import whiten_paper
from tests.concurrency import run_together


def identity_denoiser(**options) -> Denoiser:
    backend = TorchBackend(DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1])), precision="fp32")
    return Denoiser(backend, **options)


class NumpyBackend:
    """A backend with no framework at all: darkens every tile, counts its calls."""

    name, device, precision, multiple, metadata = "numpy", "cpu", "fp32", 4, {}

    def __init__(self) -> None:
        self.batches: list[tuple[int, ...]] = []

    def run(self, tiles: np.ndarray) -> np.ndarray:
        self.batches.append(tiles.shape)
        return tiles * 0.5


@pytest.mark.parametrize("shape", [(20, 30), (150, 97), (64, 64)])
def test_identity_model_returns_page_through_tiles(shape):
    page = np.random.default_rng(0).random(shape, dtype=np.float32)
    den = identity_denoiser(tile_size=48, overlap=8, batch_size=3)
    out = den.clean(page)
    assert out.shape == page.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, whiten_paper(page.copy()), atol=1e-6)  # the engine's last step


def test_any_backend_gets_batches_of_equal_tiles_and_the_same_blending():
    backend = NumpyBackend()
    page = np.random.default_rng(2).random((150, 97), dtype=np.float32)
    out = Denoiser(backend, tile_size=48, overlap=8, batch_size=4).clean(page)
    np.testing.assert_allclose(out, page * 0.5, atol=1e-6)
    assert len(backend.batches) > 1 and all(b[0] <= 4 for b in backend.batches)
    assert len({b[1:] for b in backend.batches}) == 1 and backend.batches[0][1] % 4 == 0


def test_uint8_input_and_progress():
    page = (np.arange(60 * 70) % 256).astype(np.uint8).reshape(60, 70)
    calls = []
    out = identity_denoiser(tile_size=32, overlap=4).clean(page, progress=lambda d, t: calls.append((d, t)))
    np.testing.assert_allclose(out, whiten_paper(page / np.float32(255)), atol=1e-6)
    assert calls and calls[-1][0] == calls[-1][1]


def test_a_one_bit_page_reaches_the_network_softened():
    page = np.zeros((64, 80), np.float32)
    page[::2, ::2] = 1.0  # dither: a quarter of the dots white
    out = Denoiser(NumpyBackend(), tile_size=48, overlap=8).clean(page)
    np.testing.assert_allclose(out, soften_bilevel(page) * 0.5, atol=1e-6)
    assert 0.1 < out[20:40, 20:60].mean() / 0.5 < 0.4 and out[20:40, 20:60].std() < 0.05


def test_a_negative_is_cleaned_as_dark_writing_on_white_paper():
    rng = np.random.default_rng(3)
    page = np.full((120, 160), 0.1, np.float32) + rng.normal(0, 0.01, (120, 160)).astype(np.float32)
    for y in range(10, 100, 20):
        page[y:y + 8, 10:150:6] = 0.9  # light strokes on dark paper
    out = Denoiser(NumpyBackend(), tile_size=64, overlap=8).clean(page)
    np.testing.assert_allclose(out, (1 - page) * 0.5, atol=1e-6)  # the network got the positive


def test_cancel_between_tiles():
    class StopAfterTwo(TileProgress):
        def __init__(self) -> None:
            self.done: list[int] = []

        def tile_done(self, done: int, total: int) -> None:
            self.done.append(done)

        def cancelled(self) -> bool:
            return len(self.done) >= 2

    backend, tracker = NumpyBackend(), StopAfterTwo()
    with pytest.raises(Cancelled):
        Denoiser(backend, tile_size=48, overlap=8, batch_size=1).clean(np.ones((150, 150), np.float32), tracker)
    assert tracker.done == [1, 2] and len(backend.batches) == 2


def test_non_finite_output_is_a_model_error():
    class Broken(NumpyBackend):
        def run(self, tiles: np.ndarray) -> np.ndarray:
            return tiles * np.nan

    with pytest.raises(ModelError, match="non-finite"):
        Denoiser(Broken()).clean(np.ones((16, 16), np.float32))


def bar_page() -> np.ndarray:
    """A dark bar on 0.9 paper, in 0..1."""
    page = np.full((40, 60), 0.9, np.float32)
    page[10:20, 5:55] = 0.1
    return page


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 255), (np.uint16, 65535), (np.uint32, 2**32 - 1)])
def test_unsigned_integer_pages_are_read_over_their_types_range(dtype, scale):
    page = bar_page()
    den = Denoiser(NumpyBackend(), tile_size=64, overlap=8)
    out = den.clean(np.round(page * scale).astype(dtype))  # the backend halves what it is given
    np.testing.assert_allclose(out, den.clean(page), atol=1e-3)
    assert out[10:20, 5:55].max() < 0.5  # the bar is kept, not turned to paper


def test_a_bool_page_is_black_and_white():
    page = np.ones((40, 60), bool)
    page[10:20, 5:55] = False
    den = Denoiser(NumpyBackend(), tile_size=64, overlap=8)
    np.testing.assert_array_equal(den.clean(page), den.clean(page.astype(np.float32)))


def _beyond_float32() -> np.ndarray:
    page = bar_page().astype(np.float64)
    page[0, 0] = 1e40  # float32 would make it infinity, which is paper
    return page


@pytest.mark.parametrize("page", [bar_page() * 255, bar_page() * 65535, bar_page() - 2,
                                  (bar_page() * 255).astype(np.int32), (bar_page() * 255).astype(np.int64),
                                  _beyond_float32(), -_beyond_float32()])
def test_pages_outside_0_to_1_or_of_signed_integers_are_refused(page):
    with pytest.raises(UsageError, match="0..1"):
        Denoiser(NumpyBackend(), tile_size=64, overlap=8).clean(page)


def test_a_float_page_overshooting_0_to_1_a_little_is_cleaned_as_it_is():
    page = bar_page()
    page[0, 0], page[1, 1] = 1.2, -0.1  # a resampled page's overshoot
    out = Denoiser(NumpyBackend(), tile_size=64, overlap=8).clean(page)
    np.testing.assert_allclose(out, page * 0.5, atol=1e-6)


def test_nan_and_inf_pixels_are_paper_and_ink_as_in_files_not_a_broken_model():
    page = bar_page()
    page[30, 30], page[31, 31], page[32, 32] = np.nan, np.inf, -np.inf
    expected = page.copy()
    expected[30, 30], expected[31, 31], expected[32, 32] = 1.0, 1.0, 0.0
    den = Denoiser(NumpyBackend(), tile_size=64, overlap=8)
    out = den.clean(page)
    np.testing.assert_array_equal(out, den.clean(expected))
    assert np.isnan(page[30, 30])  # the caller's page is left as it is


def test_nan_pixels_reach_the_real_network_as_paper(tiny_model_path):
    page = bar_page()
    page[30, 30] = np.nan
    den = Denoiser.load(tiny_model_path, precision="fp32", tile_size=64, overlap=8)
    out = den.clean(page)
    assert np.isfinite(out).all()


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no 'invalid value in cast' on the way either
def test_clean_page_with_a_nan_pixel_cleans_the_page(tiny_model_path):
    from docclean import clean_page
    from docclean.pixels import Page
    from docclean.settings import CleanSettings

    page = bar_page()
    page[30, 30] = np.nan
    settings = CleanSettings(model=str(tiny_model_path), backend="torch", precision="fp32", tile_size=64, overlap=8)
    out = clean_page(Page(page, None, None, 0), settings)
    assert np.isfinite(out.pixels).all()


def test_an_empty_page_is_a_usage_error():
    with pytest.raises(UsageError, match="empty"):
        identity_denoiser().clean(np.ones((0, 10), np.float32))


def test_a_black_page_comes_out_white_as_a_nearly_black_one_does():
    den = Denoiser.load(backend="torch")  # the shipped model and settings: auto levels on
    for page in (np.full((120, 160), 3, np.uint8), np.zeros((120, 160), np.uint8), np.zeros((120, 160), np.float32)):
        assert den.clean(page).min() == 1.0  # not a grey page with a dark frame


def test_a_black_page_is_left_black_without_auto_levels():
    black = Denoiser(NumpyBackend(), tile_size=64, overlap=8).clean(np.zeros((90, 70), np.float32))
    assert (black == 0).all()


def test_tiled_equals_whole_page_for_a_trained_like_model(tiny_model_path):
    # With random weights the output depends on context; tiles with generous overlap must still
    # agree closely with one pass over the whole page.
    page = np.random.default_rng(1).random((90, 120), dtype=np.float32)
    whole = Denoiser.load(tiny_model_path, precision="fp32", tile_size=512).clean(page)
    tiled = Denoiser.load(tiny_model_path, precision="fp32", tile_size=64, overlap=16).clean(page)
    assert np.abs(whole - tiled).mean() < 0.01


def test_what_is_no_grey_page_is_a_usage_error_that_says_what_to_give():
    # It was a ValueError, or an AttributeError for a PIL image: no DocCleanError, as docs promise.
    from PIL import Image

    from docclean.errors import UsageError

    den = identity_denoiser()
    for shape in [(8, 8, 3), (8, 8, 4), (8,), (2, 8, 8, 1)]:
        with pytest.raises(UsageError, match=r"takes a grey \(H, W\) page, not one of shape"):
            den.clean(np.zeros(shape, np.float32))
    for page in [Image.new("L", (8, 8)), "scan.png", [[0.5]]]:
        with pytest.raises(UsageError, match="takes a numpy .* docclean.clean_page takes PIL images"):
            den.clean(page)
    column = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    np.testing.assert_array_equal(den.clean(column[..., None]), den.clean(column))  # (H, W, 1): the grey page


def test_model_resolution_errors(tmp_path):
    with pytest.raises(ModelError, match="no such model"):
        resolve_model_path(tmp_path / "missing.safetensors")
    with pytest.raises(ModelError, match="no such model"):
        resolve_model_path("not-a-builtin")


def test_device_and_precision():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(UsageError, match="unknown device") as info:
        resolve_device("tpu")
    assert info.value.settings == ("device",) and "--" not in str(info.value)
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="no CUDA GPU"):
            resolve_device("cuda")
    assert resolve_precision("fp32", torch.device("cpu")) is None
    assert resolve_precision("bf16", torch.device("cpu")) is torch.bfloat16


@pytest.mark.parametrize("arch, avx512_bf16, amx, oneDNN, native", [
    ("x86_64", False, False, True, False),  # AVX-512 alone: oneDNN says yes, but emulates bf16
    ("x86_64", True, False, True, True),
    ("AMD64", False, True, True, True),
    ("aarch64", False, False, True, True),  # elsewhere oneDNN's answer stands
    ("aarch64", False, False, False, False),
])
def test_auto_precision_takes_bf16_only_where_the_cpu_computes_it(monkeypatch, arch, avx512_bf16, amx, oneDNN,
                                                                  native):
    import docclean.backends.torch_backend as tb
    monkeypatch.setattr(tb.platform, "machine", lambda: arch)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: oneDNN)
    assert tb.cpu_has_fast_bf16() is native
    assert resolve_precision("auto", torch.device("cpu")) is (torch.bfloat16 if native else None)


@pytest.mark.parametrize("name", ["default", "fast", "marks"])
def test_shipped_models_load_and_clean(text_page, name):
    assert name in builtin_models()
    den = Denoiser.load(name, backend="torch")
    meta = den.metadata
    assert meta["arch"] == "docunet"
    if name == "marks":  # an average has no figures of its own: the mean of a run's epochs, with the default
        assert meta["averaged"]["weight"] == 0.5 and len(meta["averaged"]["tuned_averaged"]["of"]) == 7
    else:
        assert 0 < meta["metrics"]["val_rmse"] < 0.1
    out = den.clean(text_page)
    assert out.shape == text_page.shape
    # Paper gets whiter, ink stays dark.
    ink = text_page < 0.3
    assert out[~ink].mean() > text_page[~ink].mean() and out[ink].mean() < 0.5


class WideStrokeEraser(NumpyBackend):
    """A model that fades strokes wider than it learned: dark regions that hold a 13 x 13 square
    turn to paper, thinner ones stay as they are."""

    def run(self, tiles: np.ndarray) -> np.ndarray:
        import cv2

        self.batches.append(tiles.shape)
        out = tiles.copy()
        for tile in out:
            wide = cv2.morphologyEx((tile < 0.5).astype(np.uint8), cv2.MORPH_OPEN, np.ones((13, 13), np.uint8))
            tile[wide.astype(bool)] = 1.0
        return out


def bars(width: int) -> np.ndarray:
    """Dark bars on paper, with a little grain (a grey scan: a two-level page would be softened)."""
    page = np.full((240, 320), 0.9, np.float32)
    for x in range(30, 300, 3 * width):
        page[20:220, x:x + width] = 0.1
    return page + np.random.default_rng(width).normal(0, 0.005, page.shape).astype(np.float32)


def test_a_page_of_wide_strokes_is_also_cleaned_shrunk_and_keeps_them():
    page = bars(30)
    erased = Denoiser(WideStrokeEraser(), tile_size=512, max_stroke=0).clean(page)
    assert (erased[page < 0.5] > 0.5).all()  # at full resolution the model erases every bar
    backend = WideStrokeEraser()
    out = Denoiser(backend, tile_size=512, max_stroke=8).clean(page)
    assert out.shape == page.shape
    (full, small) = [b[1:] for b in backend.batches]
    assert full == (240, 320) and small == pytest.approx((64, 85), abs=4)  # the page, then shrunk 30 -> 8 px
    assert np.mean(out[page < 0.5] < 0.5) > 0.95  # the bars stay
    np.testing.assert_array_less(out[page > 0.5].min(), 0.95)  # the darker of the two: nothing made lighter
    assert (out <= erased + 1e-6).all()


def test_thin_strokes_take_one_pass_and_progress_counts_both_passes():
    backend = WideStrokeEraser()
    out = Denoiser(backend, tile_size=512, max_stroke=8).clean(bars(5))
    assert len(backend.batches) == 1 and np.mean(out[bars(5) < 0.5] < 0.5) == 1.0
    calls: list[tuple[int, int]] = []
    numpy_backend = NumpyBackend()
    den = Denoiser(numpy_backend, tile_size=128, overlap=8, batch_size=1, max_stroke=8)
    den.clean(bars(30), lambda d, t: calls.append((d, t)))
    tiles = len(numpy_backend.batches)
    assert tiles > 6 and calls == [(d, tiles) for d in range(1, tiles + 1)]  # 6 tiles of the page, then more


def test_the_shipped_settings_turn_it_on_and_zero_turns_it_off():
    from docclean.settings import MAX_STROKE, CleanSettings

    assert CleanSettings().max_stroke == MAX_STROKE > 0
    assert CleanSettings(max_stroke=0).max_stroke == 0
    with pytest.raises(UsageError, match="max_stroke"):
        CleanSettings(max_stroke=1)


def test_threads_also_bound_the_steps_around_the_network_and_the_host_s_count_is_put_back() -> None:
    import cv2

    from docclean import engine

    seen: list[int] = []

    class Recording(NumpyBackend):
        def run(self, tiles: np.ndarray) -> np.ndarray:
            seen.append(cv2.getNumThreads())
            return super().run(tiles)

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(3)  # the program embedding docclean has its own
        Denoiser(Recording(), tile_size=64, overlap=8, threads=1).clean(bar_page())
        assert set(seen) == {1} and cv2.getNumThreads() == 3
        seen.clear()
        Denoiser(Recording(), tile_size=64, overlap=8).clean(bar_page())  # threads auto
        assert set(seen) == {engine._CV2_THREADS} and cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(before)


def test_one_loaded_model_serves_two_threads_one_call_at_a_time():
    """The desktop app previews a page with the same loaded model its export is using: a runtime's
    request (OpenVINO: "Infer Request is busy") takes one call at a time, so the engine queues them."""
    import time

    class OneAtATime(NumpyBackend):
        def __init__(self) -> None:
            super().__init__()
            self.busy = False

        def run(self, tiles: np.ndarray) -> np.ndarray:
            if self.busy:
                raise RuntimeError("Infer Request is busy")
            self.busy = True
            time.sleep(0.002)
            self.busy = False
            return super().run(tiles)

    den = Denoiser(OneAtATime(), tile_size=48, overlap=8, batch_size=1)
    page = np.random.default_rng(4).random((150, 150), dtype=np.float32)
    results, errors = run_together(lambda n: den.clean(page), 3)
    assert errors == [] and len(results) == 3
    np.testing.assert_allclose(results[0], page * 0.5, atol=1e-6)


def test_load_refuses_settings_that_are_clean_page_s_not_the_engine_s(tiny_model_path):
    # Denoiser.load(binarize=True) returned a grey page without a word.
    with pytest.raises(UsageError, match="engine's settings only, not binarize, color: .* docclean.clean_page"):
        Denoiser.load(tiny_model_path, binarize=True, color="keep")
    assert Denoiser.load(tiny_model_path, device="cpu", backend="torch", keep_solids=False).keep_solids is False


def test_pages_cleaned_at_once_in_two_threads_put_the_host_s_opencv_count_back() -> None:
    # Each page put back the count it found: the one that ended last put back the other's.
    import threading
    import time

    import cv2

    inside = threading.Barrier(2)
    first_in = threading.Event()

    class Meeting(NumpyBackend):
        def __init__(self, linger: float) -> None:
            super().__init__()
            self.linger = linger

        def run(self, tiles: np.ndarray) -> np.ndarray:
            first_in.set()
            inside.wait(timeout=10)  # both pages are being worked on now
            time.sleep(self.linger)  # the page that began second ends last
            return super().run(tiles)

    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(3)
        first = threading.Thread(target=Denoiser(Meeting(0.0), tile_size=64, overlap=8, threads=1).clean,
                                 args=(bar_page(),))
        second = threading.Thread(target=Denoiser(Meeting(0.3), tile_size=64, overlap=8, threads=2).clean,
                                  args=(bar_page(),))
        first.start()
        assert first_in.wait(timeout=10)
        second.start()
        for worker in (first, second):
            worker.join(timeout=20)
        assert cv2.getNumThreads() == 3
    finally:
        cv2.setNumThreads(before)
