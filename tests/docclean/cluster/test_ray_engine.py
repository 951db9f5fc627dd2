"""The Ray engine against the local engine on a local two-CPU Ray: same bytes, same report, and
the failures a cluster adds (a worker killed mid-file, twice; a cancel and a resume)."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

import pytest
from cluster_helpers import hidden, import_or_skip, tree, write_image, write_pdf

from docclean.batch import clean_batch
from docclean.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Cancelled
from docclean.progress import CleanProgress
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, Report
from docclean.reportcarry import ReportKeeper

import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]' to run the Ray engine tests")

from docclean.cluster.ray_engine import clean_batch_ray  # noqa: E402
from docclean.cluster.raybatch import PREFETCH  # noqa: E402
from docclean.cluster.raypool import crowding, pool_shape  # noqa: E402


class Recorder(CleanProgress):
    """Keeps the events the driver replays, as the CLI's progress display would see them."""

    def __init__(self) -> None:
        self.started: tuple[int, int] | None = None
        self.pages: list[tuple[str, int]] = []
        self.done: list[tuple[str, str]] = []
        self.finished = False

    def on_start(self, files: int, pages: int) -> None:
        self.started = (files, pages)

    def on_page_done(self, job, page) -> None:  # noqa: ANN001
        self.pages.append((job.source.name, page.index))

    def on_file_done(self, result) -> None:  # noqa: ANN001
        self.done.append((Path(str(result.source)).name, result.status))

    def on_finish(self, report: Report) -> None:
        self.finished = True


def scans(folder: Path) -> Path:
    """A small tree: two PNGs, a JPEG in a subfolder, a 3-page PDF, and a 3-page TIFF."""
    write_image(folder / "a.png", 1)
    write_image(folder / "b.png", 2)
    write_image(folder / "sub" / "c.jpg", 3)
    write_pdf(folder / "sub" / "book.pdf", 4, pages=3)
    write_image(folder / "stack.tif", 7, pages=3)
    return folder


def test_folder_and_multi_page_files_equal_the_local_engine_byte_for_byte(tmp_path, settings, ray_session) -> None:
    src = scans(tmp_path / "scans")
    local = clean_batch([str(src)], tmp_path / "local", settings)
    progress = Recorder()
    report = clean_batch_ray([src], tmp_path / "ray", settings, progress, workers=2,
                             report_path=tmp_path / "report.json")
    assert local.exit_code == report.exit_code == EXIT_OK
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert len(tree(tmp_path / "ray")) == 5
    assert hidden(tmp_path / "ray") == []  # no staging, lock or temporary file left
    # The report lists files in input order like the local one, whatever order workers finished in.
    assert [str(f.source) for f in report.files] == [str(f.source) for f in local.files]
    assert [f.status for f in report.files] == [CLEANED] * 5
    assert report.pages_cleaned == local.pages_cleaned == 9
    assert progress.started == (5, 9) and len(progress.pages) == 9 and progress.finished
    assert "ray: 2 workers x 1 thread" in report.device
    assert report.model_path == local.model_path is not None
    assert (tmp_path / "report.json").is_file()
    # A rerun skips everything without starting an actor.
    again = clean_batch_ray([src], tmp_path / "ray", settings, workers=2)
    assert [f.status for f in again.files] == [SKIPPED] * 5 and again.exit_code == EXIT_OK


class Killer(Recorder):
    """Kills, with SIGKILL, the actor process cleaning a file when its first page comes in,
    ``times[name]`` times per file name."""

    def __init__(self, times: dict[str, int]) -> None:
        super().__init__()
        self.times, self.batch, self.killed = dict(times), None, []

    def on_page_done(self, job, page) -> None:  # noqa: ANN001
        super().on_page_done(job, page)
        name = job.source.name
        if page.index != 0 or self.times.get(name, 0) < 1:
            return
        for actor in self.batch.actors:  # the file may stand behind one whose result is not collected yet
            if actor.pid and any(task.source == str(job.source) for _, task in actor.inflight):
                self.times[name] -= 1
                self.killed.append((name, actor.pid))
                os.kill(actor.pid, signal.SIGKILL)
                return


def test_a_killed_worker_s_file_finishes_elsewhere_and_a_second_death_fails_it(tmp_path, settings,
                                                                               ray_session) -> None:
    src = tmp_path / "scans"
    # Multi-page files, long enough (about a second each here) that a kill at the first page, which
    # the driver sees within its 0.2 s poll, lands mid-file even on a fast machine.
    for n in range(4):
        write_image(src / f"doc{n}.tif", 10 * n, pages=16, h=768, w=768)
    clean_batch([str(src)], tmp_path / "local", settings)
    progress = Killer({"doc0.tif": 1, "doc2.tif": 2})
    report = clean_batch_ray([src], tmp_path / "ray", settings, progress, workers=2,
                             on_batch=lambda batch: setattr(progress, "batch", batch))
    assert sorted(name for name, _ in progress.killed) == ["doc0.tif", "doc2.tif", "doc2.tif"]
    status = {Path(str(f.source)).name: f for f in report.files}
    assert status["doc0.tif"].status == CLEANED
    assert any("retried after its Ray worker died" in w for w in status["doc0.tif"].warnings)
    assert status["doc1.tif"].status == status["doc3.tif"].status == CLEANED
    assert status["doc2.tif"].status == FAILED and "died twice" in status["doc2.tif"].error
    assert report.exit_code == EXIT_FAILED
    expected = {k: v for k, v in tree(tmp_path / "local").items() if k != "doc2.tif"}
    assert tree(tmp_path / "ray") == expected  # the failed file left no partial output
    assert hidden(tmp_path / "ray") == []


class CancelAfter(Recorder):
    """Asks to stop once ``files`` files are finished (as a Stop button or Ctrl-C would)."""

    def __init__(self, files: int) -> None:
        super().__init__()
        self.limit = files

    def cancelled(self) -> bool:
        return len(self.done) >= self.limit


def test_cancel_stops_cleanly_and_a_rerun_resumes(tmp_path, settings, ray_session) -> None:
    src = tmp_path / "scans"
    for n in range(12):  # more files than the actors hold in flight, so some never start
        write_image(src / f"p{n:02d}.png", n, h=192, w=192)
    write_image(src / "long.tif", 50, pages=8, h=192, w=192)
    clean_batch([str(src)], tmp_path / "local", settings)
    report = Report()
    with pytest.raises(Cancelled):
        clean_batch_ray([src], tmp_path / "ray", settings, CancelAfter(2), workers=2, report=report,
                        report_path=tmp_path / "report.json")
    assert report.interrupted and report.exit_code == EXIT_INTERRUPTED
    done = tree(tmp_path / "ray")
    assert 2 <= len(done) <= 2 + 2 * PREFETCH < 13
    assert all(done[k] == v for k, v in tree(tmp_path / "local").items() if k in done)  # whole outputs only
    # No staging folder, lock or temporary file; only the finished pages of an interrupted long.tif.
    assert {h.split("/")[0] for h in hidden(tmp_path / "ray")} <= {".long.tif.docclean-pages"}
    assert {f.status for f in report.files} <= {CLEANED, INTERRUPTED}
    # Every input is either in the report's files or among those never reached, once.
    reached = [Path(str(f.source)).name for f in report.files]
    left = [Path(str(s)).name for s in report.not_reached]
    assert left and sorted(reached + left) == sorted(p.name for p in src.iterdir())
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["not_reached"] == len(left)
    resumed = clean_batch_ray([src], tmp_path / "ray", settings, workers=1)
    assert resumed.exit_code == EXIT_OK
    assert sum(f.status == SKIPPED for f in resumed.files) == len(done)
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert hidden(tmp_path / "ray") == []


def test_the_cli_runs_the_ray_engine_and_reports_a_corrupt_file(tmp_path, settings, ray_session) -> None:
    """``docclean clean --engine ray``: a broken file gets its error line and exit code 1, the
    others are cleaned exactly as the local engine cleans them."""
    from typer.testing import CliRunner

    from cli.main import app

    src = tmp_path / "scans"
    write_image(src / "good.png", 1)
    write_pdf(src / "book.pdf", 4, pages=2)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    (src / "empty.pdf").write_bytes(b"")
    local = clean_batch([str(src)], tmp_path / "local", settings)
    args = ["clean", str(src), "-o", str(tmp_path / "ray"), "--engine", "ray", "--workers", "1",
            "--model", settings.model, "--backend", "torch", "--device", "cpu", "--precision", "fp32",
            "--threads", "1", "--report", str(tmp_path / "report.json")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == local.exit_code == EXIT_FAILED, result.output
    for failed in local.failed:
        assert f"error: {failed.error}" in result.output
    assert "2 cleaned, 0 skipped, 2 failed" in result.output
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    saved = json.loads((tmp_path / "report.json").read_text())
    assert [f["status"] for f in saved["files"]] == [f.status for f in local.files]
    assert [f["error"] for f in saved["files"]] == [f.error for f in local.files]


def test_pool_shape_matches_actors_to_cpus_threads_and_gpus(settings) -> None:
    cpu8 = {"CPU": 8.0}
    assert pool_shape(settings.replace(threads=None), None, cpu8) == (8, 1, 0)
    assert pool_shape(settings.replace(threads=2), None, cpu8) == (4, 2, 0)
    assert pool_shape(settings.replace(threads=None), 2, cpu8) == (2, 4, 0)
    assert pool_shape(settings.replace(threads=None, device="auto"), None, {"CPU": 32.0, "GPU": 4.0}) == (4, 1, 1)
    assert pool_shape(settings.replace(threads=None, device="cpu"), None, {"CPU": 32.0, "GPU": 4.0}) == (32, 1, 0)
    # More workers than GPUs share them: each asks for its fraction, and all of them fit.
    assert pool_shape(settings.replace(threads=None, device="cuda"), 8, {"CPU": 16.0, "GPU": 1.0}) == (8, 1, 0.12)
    assert pool_shape(settings.replace(threads=None, device="cuda"), 3, {"CPU": 16.0, "GPU": 2.0}) == (3, 1, 0.66)
    assert pool_shape(settings.replace(threads=None, device="cuda"), 300, {"CPU": 400.0, "GPU": 1.0})[2] == 0.01


def test_more_workers_than_the_cpus_hold_are_told_and_the_report_counts_those_that_run(tmp_path, settings,
                                                                                     ray_session) -> None:
    assert crowding(4, 1, 0, {"CPU": 2.0}) == 2 and crowding(2, 1, 0, {"CPU": 2.0}) is None
    assert crowding(3, 2, 0, {"CPU": 8.0}) is None and crowding(8, 1, 0.12, {"CPU": 2.0}) is None
    src = tmp_path / "scans"
    for n in range(3):
        write_image(src / f"p{n}.png", n, h=96, w=96)
    warned: list[str] = []

    class Warned(CleanProgress):
        def on_warning(self, source: str, message: str, kind: str = "") -> None:
            warned.append(message)

    report = clean_batch_ray([src], tmp_path / "ray", settings, Warned(), workers=4)  # the session has 2 CPUs
    assert report.exit_code == EXIT_OK and {f.status for f in report.files} == {CLEANED}
    assert "ray: 2 workers x 1 thread" in report.device
    told = ("--workers 4 of 1 thread need 4 CPUs and the Ray cluster has 2: 2 run at once, "
            "the others wait for room")
    assert warned == [told] and report.warnings == [told]


def test_more_workers_than_gpus_share_the_gpu_and_all_run(tmp_path, settings, ray_session) -> None:
    src = tmp_path / "scans"
    for n in range(4):
        write_image(src / f"p{n}.png", n, h=128, w=128)
    auto = settings.replace(device="auto")  # a GPU in the cluster: the GPU pool shape
    clean_batch([str(src)], tmp_path / "local", settings)
    batches = []
    report = clean_batch_ray([src], tmp_path / "ray", auto, workers=2, on_batch=batches.append)
    assert batches[0].pool.options["num_gpus"] == 0.5 and batches[0].pool.size == 2
    assert report.exit_code == EXIT_OK and {f.status for f in report.files} == {CLEANED}
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")


def test_an_interrupted_multi_page_output_keeps_its_finished_pages_for_the_rerun(tmp_path, settings,
                                                                                 ray_session) -> None:
    """The engine's resume inside multi-page outputs (finished pages kept beside the target)
    holds on the Ray engine too, although its actors write in a staging folder."""
    from docclean.checkpoint import save_model
    from docclean.model import DocUNet, DocUNetConfig

    # A model slow enough (about 35 ms a page) that the cancel, which reaches an actor within about
    # half a second, lands mid-file: with the tiny model the whole book was done before it arrived.
    slow = DocUNet(DocUNetConfig(unshuffle=2, widths=[48, 96], blocks=[2, 2]))
    settings = settings.replace(model=str(save_model(slow, tmp_path / "slow.safetensors", "docunet",
                                                     slow.config.to_dict(), {"note": "test"})))
    src = tmp_path / "scans"
    write_image(src / "book.tif", 60, pages=60, h=256, w=256)
    clean_batch([str(src)], tmp_path / "local", settings)

    class CancelAfterPages(Recorder):
        def cancelled(self) -> bool:
            return len(self.pages) >= 3

    with pytest.raises(Cancelled):
        clean_batch_ray([src], tmp_path / "ray", settings, CancelAfterPages(), workers=1)
    assert not (tmp_path / "ray" / "book.tif").exists()
    kept = sorted((tmp_path / "ray" / ".book.tif.docclean-pages").glob("p*.png"))
    assert 3 <= len(kept) < 60
    resumed = clean_batch_ray([src], tmp_path / "ray", settings, workers=1)
    assert resumed.exit_code == EXIT_OK
    assert sum(p.status == SKIPPED for p in resumed.files[0].pages) == len(kept)
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert hidden(tmp_path / "ray") == []


def test_actors_larger_than_the_cluster_are_a_usage_error_not_a_hang(tmp_path, settings, ray_session) -> None:
    from docclean.errors import UsageError

    write_image(tmp_path / "scans" / "a.png", 1)
    with pytest.raises(UsageError, match="cannot be placed"):
        clean_batch_ray([tmp_path / "scans"], tmp_path / "ray", settings.replace(threads=64), workers=1)
    assert not (tmp_path / "ray" / ".docclean-staging").exists()


def test_sigterm_stops_the_batch_like_ctrl_c_with_its_own_exit_code(tmp_path, settings, ray_session) -> None:
    from docclean.errors import EXIT_TERMINATED, Terminated
    from docclean.signals import terminate_as_interrupt

    src = tmp_path / "scans"
    for n in range(30):
        write_image(src / f"p{n:02d}.png", n, h=384, w=384)

    class TermAfterOneFile(Recorder):
        """Sends SIGTERM a little after the first file, from another thread, as ``timeout`` would:
        it lands while the driver waits inside Ray, not in this callback."""

        def on_file_done(self, result) -> None:  # noqa: ANN001
            super().on_file_done(result)
            if len(self.done) == 1:
                threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGTERM)).start()

    report = Report()
    with terminate_as_interrupt(), pytest.raises(Terminated):
        clean_batch_ray([src], tmp_path / "ray", settings, TermAfterOneFile(), workers=1, report=report)
    assert report.stopped == "terminated" and report.exit_code == EXIT_TERMINATED
    assert 1 <= len(tree(tmp_path / "ray")) < 30
    assert hidden(tmp_path / "ray") == []


# -- the review's cases: relative paths, errors that are not deaths, later load failures, the hub --


def test_relative_paths_reach_the_actors_whole_and_the_report_keeps_them_as_given(tmp_path, settings, ray_session,
                                                                                   monkeypatch) -> None:
    write_image(tmp_path / "scans" / "a.png", 1)
    write_image(tmp_path / "scans" / "sub" / "b.png", 2)
    (tmp_path / "scans" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    # Not the folder Ray was started in, against which the actors would resolve relative paths.
    monkeypatch.chdir(tmp_path)
    local = clean_batch(["scans"], Path("local"), settings)
    report = clean_batch_ray(["scans"], "ray", settings, workers=1)
    assert [f.status for f in report.files] == [CLEANED, FAILED, CLEANED], [f.error for f in report.files]
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert [str(f.source) for f in report.files] == [str(f.source) for f in local.files] == [
        "scans/a.png", "scans/broken.png", "scans/sub/b.png"]
    assert [[str(t) for t in f.targets] for f in report.files] == [["ray/a.png"], [], ["ray/sub/b.png"]]
    assert report.files[1].error == local.files[1].error.replace("local/", "ray/")
    assert hidden(tmp_path / "ray") == []


def test_an_error_outside_the_page_work_fails_the_file_and_keeps_the_worker(tmp_path, settings, ray_session) -> None:
    src = tmp_path / "scans"
    for n in range(3):
        write_image(src / f"p{n}.png", n)
    out = tmp_path / "ray"
    out.mkdir()
    (out / ".docclean-staging").write_text("a file where the staging folder goes")
    batches: list = []
    report = clean_batch_ray([src], out, settings, workers=1, on_batch=batches.append)
    assert [f.status for f in report.files] == [FAILED] * 3
    assert all("FileExistsError" in f.error or "NotADirectoryError" in f.error for f in report.files), \
        [f.error for f in report.files]
    assert batches[0].pool.spares == 1  # the worker was not taken for dead and replaced


def test_a_task_error_from_a_worker_fails_that_file_without_a_retry(ray_session) -> None:
    """RayTaskError (the worker raised and is alive) is not RayActorError (the worker died)."""
    from collections import deque

    from docclean.cluster.raybatch import RayBatch
    from docclean.cluster.raypool import ActorPool, PoolActor
    from docclean.cluster.unit import FileTask

    @ray_session.remote(num_cpus=0)
    def broken() -> None:
        raise RuntimeError("disk on fire")

    ref, task = broken.remote(), FileTask(0, "a.png", "out/a.png")
    batch = RayBatch.__new__(RayBatch)
    actor = PoolActor(handle=None, ready=None, inflight=deque([(ref, task)]))
    batch.ray, batch.report, batch.progress = ray_session, Report(), CleanProgress()
    batch.pool = ActorPool.__new__(ActorPool)
    batch.pool.actors, batch.pool.spares = [actor], 0
    batch.refs, batch.queue, batch.rank, batch.failed_once = {ref: (actor, task)}, deque(), {}, {}
    batch.recorded, batch.keeper = set(), ReportKeeper(batch.report, None)
    ray_session.wait([ref])
    batch._collect(ref)
    assert batch.actors == [actor] and not batch.queue and not actor.inflight
    [result] = batch.report.files
    assert result.status == FAILED and "RuntimeError: disk on fire" in result.error


class OnStart(Recorder):
    """Runs ``action(batch)`` once the first actor is up, before the files are handed out."""

    def __init__(self, action) -> None:  # noqa: ANN001
        super().__init__()
        self.action, self.batch = action, None

    def on_start(self, files: int, pages: int) -> None:
        super().on_start(files, pages)
        self.action(self.batch)


def test_a_later_worker_that_cannot_load_the_model_is_dropped_and_the_batch_goes_on(tmp_path, settings,
                                                                                    ray_session) -> None:
    src = tmp_path / "scans"
    for n in range(3):
        write_image(src / f"p{n}.png", n)

    def break_the_others(batch) -> None:  # noqa: ANN001
        # Actors started from now on cannot load the model (a node without it, say).
        missing = batch.settings.replace(model=str(tmp_path / "missing.safetensors")).to_dict()
        batch.pool.args = (missing, None, *batch.pool.args[2:])
        up = next(a for a in batch.actors if a.ready is None)
        for actor in [a for a in batch.actors if a is not up]:
            batch.pool.replace(actor, RuntimeError("replaced by the test"))
        # Let the replacement fail to load before any file is handed out, so the run sees it.
        ray_session.wait([a.ready for a in batch.actors if a is not up], timeout=60)

    progress = OnStart(break_the_others)
    report = clean_batch_ray([src], tmp_path / "ray", settings, progress, workers=2,
                             on_batch=lambda batch: setattr(progress, "batch", batch))
    assert report.exit_code == EXIT_OK and [f.status for f in report.files] == [CLEANED] * 3
    assert progress.batch.pool.spares == 0  # the replacement that failed to load was dropped and replaced in turn


def test_the_progress_hub_s_death_stops_the_progress_not_the_batch(tmp_path, settings, ray_session) -> None:
    src = tmp_path / "scans"
    for n in range(3):
        write_image(src / f"p{n}.png", n)
    progress = OnStart(lambda batch: ray_session.kill(batch.hub))
    report = clean_batch_ray([src], tmp_path / "ray", settings, progress, workers=1,
                             on_batch=lambda batch: setattr(progress, "batch", batch))
    assert report.exit_code == EXIT_OK and [f.status for f in report.files] == [CLEANED] * 3
    assert progress.finished
