"""The overlap machinery: prefetching keeps order and errors in place, the writer keeps order,
keeps errors to their file and always cleans up; real multi-page files come out byte-identical."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from docclean import io as pageio
from docclean.overlap import FileWrites, OrderedWriter, Prefetch


def test_prefetch_yields_the_same_items_in_order() -> None:
    assert list(Prefetch(iter(range(50)), depth=3)) == list(range(50))
    assert list(Prefetch([], depth=1)) == []


def test_prefetch_raises_the_error_at_its_place() -> None:
    def source():
        yield 1
        yield 2
        raise ValueError("page 3 is broken")

    got = []
    with pytest.raises(ValueError, match="page 3"):
        for item in Prefetch(source()):
            got.append(item)
    assert got == [1, 2]


def test_prefetch_runs_ahead_but_only_depth_items() -> None:
    produced = []

    def source():
        for i in range(10):
            produced.append(i)
            yield i

    with Prefetch(source(), depth=2) as items:
        assert next(items) == 0
        time.sleep(0.3)
        # one handed out, two queued, one waiting to be queued
        assert len(produced) <= 4
        assert len(produced) >= 3  # it did run ahead while we "computed"


def test_prefetch_close_closes_the_source_in_its_thread() -> None:
    closed = threading.Event()

    def source():
        try:
            for i in range(1000):
                yield i
        finally:
            closed.set()

    with Prefetch(source(), depth=1) as items:
        assert next(items) == 0
    assert closed.wait(2)


def test_writer_runs_tasks_in_order_and_bounded() -> None:
    order: list[int] = []
    running = []
    with OrderedWriter(depth=2) as writer:
        for i in range(20):
            writer.submit(lambda i=i: (running.append(i), time.sleep(0.001), order.append(i)))
    assert order == list(range(20))


def test_a_failed_write_stays_with_its_file_and_skips_the_rest_of_it() -> None:
    log: list[str] = []
    cleanups: dict[str, object] = {}

    def write(name: str, page: int) -> None:
        if name == "a" and page == 1:
            raise OSError("disk trouble on a")
        log.append(f"{name}{page}")

    with OrderedWriter(depth=2) as writer:
        files = {name: FileWrites(writer) for name in "abc"}
        for name, fw in files.items():
            for page in range(3):
                fw.submit(write, name, page)
            fw.finish(lambda err, name=name: cleanups.__setitem__(name, err))
    with pytest.raises(OSError, match="disk trouble on a"):
        files["a"].wait()
    files["b"].wait()
    files["c"].wait()
    assert log == ["a0", "b0", "b1", "b2", "c0", "c1", "c2"]
    assert isinstance(cleanups["a"], OSError) and cleanups["b"] is None and cleanups["c"] is None


def test_abandon_skips_queued_pages_and_runs_the_cleanup() -> None:
    gate = threading.Event()
    log: list[str] = []
    seen: list[BaseException | None] = []
    with OrderedWriter(depth=4) as writer:
        writer.submit(gate.wait)  # hold the writer so the file's tasks are still queued
        fw = FileWrites(writer)
        fw.submit(log.append, "page 1")
        fw.abandon(KeyError("reading page 2 failed"), seen.append)
        gate.set()
    assert log == [] and isinstance(seen[0], KeyError)
    with pytest.raises(KeyError):
        fw.wait()


def test_cancel_skips_queued_work_but_still_cleans_up() -> None:
    gate = threading.Event()
    log: list[str] = []
    seen: list[BaseException | None] = []
    with pytest.raises(KeyboardInterrupt):
        with OrderedWriter(depth=4) as writer:
            writer.submit(gate.wait)
            fw = FileWrites(writer)
            fw.submit(log.append, "page 1")
            fw.finish(seen.append)
            threading.Timer(0.1, gate.set).start()
            raise KeyboardInterrupt
    assert log == [] and seen and seen[0] is not None


def _pages(n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.random((64 + 8 * i, 48), dtype=np.float32) for i in range(n)]


@pytest.mark.parametrize("suffix", [".pdf", ".tif"])
def test_overlapped_multi_page_writes_equal_sequential(tmp_path: Path, suffix: str) -> None:
    pages = _pages(4)
    seq = tmp_path / f"seq{suffix}"
    with pageio.PageWriter(seq) as w:
        for p in pages:
            w.add(p, (300.0, 300.0))
    ovl = tmp_path / f"ovl{suffix}"
    with OrderedWriter() as writer:
        out = pageio.PageWriter(ovl)
        fw = FileWrites(writer)
        fw.submit(out.__enter__)
        for p in pages:
            fw.submit(out.add, p, (300.0, 300.0))
        fw.finish(lambda err: out.__exit__(type(err) if err else None, err, None))
    fw.wait()
    assert ovl.read_bytes() == seq.read_bytes()
    # and reading it back through the prefetcher gives the pages the sequential reader gives
    direct = [p.gray for p in pageio.read_pages(ovl)]
    ahead = [p.gray for p in Prefetch(pageio.read_pages(ovl), depth=2)]
    assert len(direct) == len(ahead) == 4
    assert all(np.array_equal(a, b) for a, b in zip(direct, ahead))


def test_failed_multi_page_write_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    with OrderedWriter() as writer:
        out = pageio.PageWriter(target)
        fw = FileWrites(writer)
        fw.submit(out.__enter__)
        fw.submit(out.add, _pages(1)[0], None)
        fw.abandon(RuntimeError("page 2 could not be read"),
                   lambda err: out.__exit__(type(err) if err else None, err, None))
    with pytest.raises(RuntimeError):
        fw.wait()
    assert list(tmp_path.iterdir()) == []
