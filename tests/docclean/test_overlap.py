"""The overlap machinery: prefetching keeps order and errors in place, the writer keeps order,
keeps errors to their file and always cleans up; real multi-page files come out byte-identical."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from docclean import io as pageio
from docclean.overlap import FileWrites, PagePipeline
from docclean.threads import OrderedWriter, Prefetch


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


def test_a_light_task_is_queued_without_waiting_for_a_slot() -> None:
    release = threading.Event()
    order: list[str] = []
    with OrderedWriter(depth=1) as writer:
        writer.submit(release.wait, 5)  # the one slot is taken
        start = time.perf_counter()
        closed = writer.submit(order.append, "close", light=True)  # a file's close: no page held
        assert time.perf_counter() - start < 1 and not closed.done()
        release.set()
        closed.result(timeout=5)
        writer.submit(order.append, "next")  # the slot came back once, not twice
    assert order == ["close", "next"]


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


def test_abandon_still_writes_queued_pages_then_cleans_up_with_the_error() -> None:
    gate = threading.Event()
    log: list[str] = []
    seen: list[BaseException | None] = []
    with OrderedWriter(depth=4) as writer:
        writer.submit(gate.wait)  # hold the writer so the file's tasks are still queued
        fw = FileWrites(writer)
        fw.submit(log.append, "page 1")
        fw.abandon(KeyError("reading page 2 failed"), seen.append)
        gate.set()
    # as without the writer thread: page 1 was done before the error, so it is written
    assert log == ["page 1"] and isinstance(seen[0], KeyError)
    fw.wait()  # the caller's own error is the caller's to raise


def test_inline_file_writes_run_at_once_and_raise_in_the_caller() -> None:
    log: list[str] = []
    fw = FileWrites(None)
    fw.submit(log.append, "now")
    assert log == ["now"]
    with pytest.raises(ZeroDivisionError):
        fw.submit(lambda: 1 / 0)


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
    fw.wait()
    assert list(tmp_path.iterdir()) == []


def test_page_pipeline_reads_ahead_across_files_and_keeps_errors_and_warnings_in_place() -> None:
    import warnings

    jobs = ["a", "b", "c"]
    reader_threads: set[str] = set()

    def read(job: str):
        reader_threads.add(threading.current_thread().name)
        if job == "b":
            warnings.warn("b has an odd header", UserWarning)
            yield "b0"
            raise OSError("b is truncated")
        yield from (f"{job}{i}" for i in range(2))

    got: dict[str, list] = {}
    caught: dict[str, list[str]] = {}
    with PagePipeline(jobs, read) as pipe:
        for job in jobs:
            with pipe.warnings_for(job) as ws:
                try:
                    got[job] = list(pipe.pages(job))
                except OSError as exc:
                    got[job] = [str(exc)]
                time.sleep(0.05)
                caught[job] = [str(w.message) for w in ws]
    assert got == {"a": ["a0", "a1"], "b": ["b is truncated"], "c": ["c0", "c1"]}
    assert caught == {"a": [], "b": ["b has an odd header"], "c": []}
    assert reader_threads == {"docclean-reader"}


def test_page_pipeline_skips_the_rest_of_a_file_left_early() -> None:
    with PagePipeline(["a", "b"], lambda job: (f"{job}{i}" for i in range(3))) as pipe:
        first = pipe.pages("a")
        assert next(first) == "a0"  # the caller stops cleaning "a" here (say, a write failed)
        assert list(pipe.pages("b")) == ["b0", "b1", "b2"]


def test_disabled_page_pipeline_is_the_sequential_path() -> None:
    threads = []

    def read(job: str):
        threads.append(threading.current_thread())
        yield job

    with PagePipeline(["a"], read, enabled=False) as pipe:
        assert list(pipe.pages("a")) == ["a"]
        assert pipe.writes("a").writer is None
    assert threads == [threading.main_thread()]


def _batch_inputs(folder: Path) -> None:
    rng = np.random.default_rng(3)
    folder.mkdir()
    for i, shape in enumerate([(90, 70), (64, 128), (100, 100)]):
        page = np.clip(0.8 + 0.1 * rng.standard_normal(shape), 0, 1).astype(np.float32)
        page[10:20, 10:40] = 0.1
        pageio.write_page(folder / f"page{i}.png", page, (150.0, 150.0))
    for name in ("book.tif", "book.pdf"):
        with pageio.PageWriter(folder / name) as w:
            for p in _pages(3):
                w.add(p, (200.0, 200.0))
    (folder / "empty.png").write_bytes(b"")
    (folder / "truncated.png").write_bytes((folder / "page0.png").read_bytes()[:200])


def _run_batch(src: Path, out: Path, model: Path, pipeline: bool, **settings):
    from docclean.batch import clean_batch
    from docclean.settings import CleanSettings

    s = CleanSettings(model=str(model), backend="torch", precision="fp32", **settings)
    return clean_batch([str(src)], out, s, pipeline=pipeline)


def _summary(report, out: Path) -> list[tuple]:
    return sorted((str(r.source.name), r.status, (r.error or "").replace(str(out), "OUT"),
                   sorted(str(Path(t).relative_to(out)) for t in r.targets),
                   [(p.index, p.status, p.ink_loss) for p in r.pages]) for r in report.files)


@pytest.mark.parametrize("fmt, writers", [(None, 1), ("png", 1), ("pdf", 1), (None, 3)])
def test_overlapped_batch_writes_the_same_files_as_sequential(tmp_path: Path, tiny_model_path: Path,
                                                              fmt: str | None, writers: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from docclean import batch

    monkeypatch.setattr(batch, "_writer_threads", lambda cleaner: writers)  # as on a GPU
    src = tmp_path / "in"
    _batch_inputs(src)
    reports = {}
    for pipeline in (False, True):
        out = tmp_path / f"out-{pipeline}"
        reports[pipeline] = (_run_batch(src, out, tiny_model_path, pipeline, fmt=fmt), out)
    (seq, seq_out), (ovl, ovl_out) = reports[False], reports[True]
    files = sorted(p.relative_to(seq_out) for p in seq_out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(ovl_out) for p in ovl_out.rglob("*") if p.is_file())
    assert len(files) >= 4
    for rel in files:
        assert (seq_out / rel).read_bytes() == (ovl_out / rel).read_bytes(), rel
    assert _summary(seq, seq_out) == _summary(ovl, ovl_out)
    assert seq.exit_code == ovl.exit_code == 1  # the two broken inputs failed, alone


@pytest.mark.parametrize("writers", [1, 3])
def test_a_write_error_fails_its_own_file_only(tmp_path: Path, tiny_model_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, writers: int) -> None:
    from docclean import batch
    from docclean import writer as writer_module
    from docclean.report import CLEANED, FAILED

    monkeypatch.setattr(batch, "_writer_threads", lambda cleaner: writers)
    src = tmp_path / "in"
    _batch_inputs(src)
    real_add = writer_module.PageWriter.add

    def failing_add(self, pixels, dpi):
        if self.path.name in ("page1.png", "book.pdf"):
            raise writer_module.OutputError("cannot write page (test)", self.path)
        return real_add(self, pixels, dpi)

    monkeypatch.setattr(writer_module.PageWriter, "add", failing_add)
    out = tmp_path / "out"
    report = _run_batch(src, out, tiny_model_path, True)
    status = {r.source.name: (r.status, r.error or "") for r in report.files}
    assert status["page1.png"][0] == FAILED and "test" in status["page1.png"][1]
    assert status["book.pdf"][0] == FAILED and "book.pdf" in status["book.pdf"][1]
    assert status["page0.png"][0] == status["page2.png"][0] == status["book.tif"][0] == CLEANED
    assert not (out / "page1.png").exists() and not (out / "book.pdf").exists()
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary file left


def test_several_writers_take_files_in_turn_and_keep_each_files_order() -> None:
    with PagePipeline([], lambda job: iter(()), writers=2) as pipe:
        assert pipe.lanes == 2
        first, second, third = pipe.writes("a"), pipe.writes("b"), pipe.writes("c")
        assert first.writer is not second.writer and third.writer is first.writer
        release = threading.Event()
        order: list[str] = []
        held = first.submit(release.wait, 5)  # holds the first writer ...
        second.submit(order.append, "b1")  # ... while the second one goes on
        assert second._futures[-1].result(timeout=5) is None and order == ["b1"]
        assert not held.done()
        release.set()
        first.submit(order.append, "a1")
        first.submit(order.append, "a2")
        first.wait()
        assert held.result() is True and order == ["b1", "a1", "a2"]
    with PagePipeline([], lambda job: iter(()), writers=4, enabled=False) as pipe:
        assert pipe.lanes == 1 and pipe.writes("a").writer is None


def test_writers_given_as_a_function_are_counted_once_the_reader_runs() -> None:
    started = threading.Event()

    def read(job: str):  # noqa: ANN202
        started.set()
        yield f"{job}-1"

    def writers() -> int:
        assert started.wait(10)  # the first page is being read while this waits
        return 2

    with PagePipeline(["a"], read, writers=writers) as pipe:
        assert pipe.lanes == 2 and list(pipe.pages("a")) == ["a-1"]

    closed = threading.Event()

    def endless(job: str):  # noqa: ANN202
        try:
            while True:
                yield job
        finally:
            closed.set()

    def broken() -> int:
        raise RuntimeError("the model did not load")

    with pytest.raises(RuntimeError, match="did not load"):
        with PagePipeline(["a"], endless, writers=broken):
            pass
    assert closed.wait(10)  # the reader was stopped and its source closed
