"""The preview worker: its signals, tile progress, cancel, stale requests, the cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def test_signals_in_order_with_tile_progress(qtbot, worker, recorder, big_page, tiny_settings) -> None:
    with qtbot.waitSignals([worker.pageLoaded, worker.finished], order="strict", timeout=20_000):
        rid = worker.request(big_page, 0, tiny_settings.replace(tile_size=256))
    assert recorder.names() == ["pageLoaded", "finished"]
    finished_id, result = recorder.of("finished")[0]
    assert finished_id == rid and recorder.of("pageLoaded")[0][0] == rid
    assert result.output.pixels.shape == (900, 700)
    assert (result.cleaned.width, result.cleaned.height) == (700, 900)
    progress = [(done, total) for _, done, total in recorder.of("progress")]
    total = progress[-1][1]
    assert total > 4 and progress[-1] == (total, total)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert 0.0 <= result.output.ink_loss <= 1.0


def test_cancel_mid_page(qtbot, worker, recorder, big_page, tiny_settings, tile_gate) -> None:
    with qtbot.waitSignal(worker.progress, timeout=20_000):
        rid = worker.request(big_page, 0, tiny_settings.replace(tile_size=256))
    with qtbot.waitSignal(worker.cancelled, timeout=20_000):
        worker.cancel()
        tile_gate.set()
    assert recorder.of("cancelled") == [(rid,)]
    assert recorder.of("finished") == []
    assert worker.cleans == 0


def test_newer_request_replaces_stale_one(qtbot, worker, recorder, big_page, scans, tiny_settings,
                                          tile_gate) -> None:
    with qtbot.waitSignal(worker.progress, timeout=20_000):
        stale = worker.request(big_page, 0, tiny_settings.replace(tile_size=256))
    # A request still waiting behind the stale one is replaced too: only the newest runs.
    skipped = worker.request(scans / "a.png", 0, tiny_settings)
    with qtbot.waitSignals([worker.cancelled, worker.finished], timeout=20_000):
        newest = worker.request(scans / "c.tif", 1, tiny_settings)
        tile_gate.set()
    assert recorder.of("cancelled") == [(stale,)]
    assert [rid for rid, _ in recorder.of("finished")] == [newest]
    assert skipped != newest and worker.cleans == 1
    assert recorder.of("finished")[0][1].page.page.index == 1


def test_cache_hit_is_instant_and_skips_the_engine(qtbot, worker, recorder, scans, tiny_settings) -> None:
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.request(scans / "a.png", 0, tiny_settings)
    first = recorder.of("finished")[-1][1]
    assert worker.cleans == 1 and not first.cached
    # A cached preview comes at once, without the engine.
    with qtbot.waitSignal(worker.finished, timeout=500):
        rid = worker.request(scans / "a.png", 0, tiny_settings.replace(fmt="pdf", ink_warning=0.5))
    assert recorder.of("finished")[-1][0] == rid
    again = recorder.of("finished")[-1][1]
    assert again.cached and worker.cleans == 1
    assert np.array_equal(again.output.pixels, first.output.pixels)
    # Settings that change the page are a new entry.
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.request(scans / "a.png", 0, tiny_settings.replace(binarize=True))
    binary = recorder.of("finished")[-1][1]
    assert not binary.cached and worker.cleans == 2
    assert binary.output.pixels.dtype == np.bool_


def test_a_model_retrained_in_place_is_previewed_afresh(qtbot, worker, recorder, scans, tiny_settings) -> None:
    import os

    import torch

    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.request(scans / "a.png", 0, tiny_settings)
    first = recorder.of("finished")[-1][1]
    torch.manual_seed(1)  # other weights in the same file, as a training run writes its best.safetensors
    model = DocUNet(DocUNetConfig(unshuffle=2, widths=[4, 8], blocks=[1, 1]))
    with torch.no_grad():  # a fresh network is the identity, like the tiny model: make it another one
        for weights in model.parameters():
            weights.normal_(0.0, 0.2)
    path = Path(tiny_settings.model)
    stat = path.stat()
    save_model(model, path, "docunet", model.config.to_dict(), {"note": "retrained"})
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a coarse file clock still tells them apart
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        worker.request(scans / "a.png", 0, tiny_settings)
    again = recorder.of("finished")[-1][1]
    assert not again.cached and worker.cleans == 2
    assert not np.array_equal(again.output.cleaned, first.output.cleaned)


def test_bad_model_fails_with_a_message(qtbot, worker, recorder, scans, tmp_path, tiny_settings) -> None:
    bad = tmp_path / "broken.safetensors"
    bad.write_bytes(b"not a model at all")
    with qtbot.waitSignal(worker.failed, timeout=20_000):
        worker.request(scans / "a.png", 0, tiny_settings.replace(model=str(bad)))
    assert "broken.safetensors" in recorder.of("failed")[0][1]


def test_stop_ends_the_thread(qtbot, worker, big_page, tiny_settings, tile_gate) -> None:
    with qtbot.waitSignal(worker.progress, timeout=20_000):
        worker.request(big_page, 0, tiny_settings.replace(tile_size=256))
    tile_gate.set()
    worker.stop()
    assert not worker.isRunning()


def test_a_page_read_before_clear_cache_is_not_kept(qtbot, worker, recorder, scans, tiny_settings,
                                                     monkeypatch) -> None:
    """Reload while the page is being read: the old read must not come back from the cache."""
    import threading

    from docclean.io import write_page
    from gui import previews as previews_module  # the preview worker reads through it

    original = previews_module.pageio.read_page_with_warnings
    reading, gate = threading.Event(), threading.Event()
    calls: list[Path] = []

    def read_page(path, index, **kwargs):  # noqa: ANN001, ANN202 - decodes now, hands the page over later
        read = original(path, index, **kwargs)
        calls.append(path)
        if len(calls) == 1:
            reading.set()
            gate.wait(10)
        return read

    monkeypatch.setattr(previews_module.pageio, "read_page_with_warnings", read_page)
    old = worker.request(scans / "a.png", 0, tiny_settings)
    assert reading.wait(10)
    write_page(scans / "a.png", np.full((60, 80), 0.2, np.float32))  # the file changes on disk
    worker.clear_cache()  # what Reload does
    with qtbot.waitSignal(worker.finished, timeout=20_000):
        new = worker.request(scans / "a.png", 0, tiny_settings)
        gate.set()
    assert recorder.of("cancelled") == [(old,)]
    rid, result = recorder.of("finished")[-1]
    assert rid == new and len(calls) == 2
    assert np.allclose(result.page.page.gray, 0.2, atol=0.01)


def test_a_preview_is_kept_for_another_format_but_not_for_another_split_of_the_work(tiny_settings) -> None:
    from gui.keys import preview_key

    assert preview_key(tiny_settings.replace(fmt="tiff", overwrite=True)) == preview_key(tiny_settings)
    assert preview_key(tiny_settings.replace(batch_size=4)) != preview_key(tiny_settings)  # bf16 may round otherwise
    assert preview_key(tiny_settings.replace(binarize=True)) != preview_key(tiny_settings)


def test_a_file_that_cannot_be_read_fails_with_the_engine_s_own_reason(qtbot, worker, recorder, tmp_path,
                                                                        tiny_settings) -> None:
    """The window recovered the reason by cutting the file's name off the message; the worker now
    hands it over as the engine gave it (its InputError's reason)."""
    import pytest

    from docclean.errors import InputError
    from docclean.io import read_pages, write_page
    from gui.keys import FILE

    whole = tmp_path / "whole.png"
    write_page(whole, np.random.default_rng(2).random((400, 400), dtype=np.float32))
    broken = tmp_path / "broken.png"
    broken.write_bytes(whole.read_bytes()[:3000])
    with pytest.raises(InputError) as engine:
        list(read_pages(broken))
    with qtbot.waitSignal(worker.failed, timeout=20_000):
        rid = worker.request(broken, 0, tiny_settings)
    assert recorder.of("failed") == [(rid, str(engine.value), (FILE,), engine.value.reason)]
    assert engine.value.reason == "truncated or incomplete image data"
