"""The Ray engine's lock and its stops: the output's lock is held before the work is planned, and
every file an actor had in hand is in the report after a cancel, also when its task was cancelled
through Ray or stands behind a finished one whose result was not collected yet."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import pytest
from cluster_helpers import hidden, import_or_skip, second_run_during, tree, write_image

from docclean.batch import clean_batch
from docclean.errors import EXIT_INTERRUPTED, Cancelled
from docclean.outputs import OutputBusy
from docclean.progress import CleanProgress
from docclean.report import CLEANED, INTERRUPTED, SKIPPED, FileResult, Report
from docclean.reportcarry import ReportKeeper

import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]' to run the Ray engine tests")

from docclean.cluster.ray_engine import clean_batch_ray  # noqa: E402
from docclean.cluster.raybatch import RayBatch  # noqa: E402
from docclean.cluster.raypool import ActorPool, PoolActor, actor_classes  # noqa: E402
from docclean.cluster.unit import FileTask  # noqa: E402


def test_a_second_run_cannot_plan_the_work_of_the_first(tmp_path, settings, ray_session, monkeypatch) -> None:
    """As clean_batch, the Ray engine takes the output's lock before it decides what is pending: a
    run that starts while it plans is refused, instead of both cleaning the same files."""
    import docclean.plan

    src = tmp_path / "scans"
    write_image(src / "a.png", 1)
    write_image(src / "b.png", 2)
    out = tmp_path / "out"
    planning, other = second_run_during(docclean.plan.plan_job, src, out, settings)
    monkeypatch.setattr(docclean.plan, "plan_job", planning)
    report = clean_batch_ray([src], out, settings, workers=1)
    assert isinstance(other[1], OutputBusy), "the other run was let in while this one planned"
    assert [f.status for f in report.files] == [CLEANED, CLEANED]
    assert hidden(out) == []


def _bare_batch(ray, actor: PoolActor) -> RayBatch:
    """A RayBatch around one actor's files (refs of plain tasks), with a real progress hub."""
    batch = RayBatch.__new__(RayBatch)
    batch.ray, batch.report, batch.progress = ray, Report(), CleanProgress()
    batch.pool = ActorPool.__new__(ActorPool)
    batch.pool.actors, batch.pool.spares = [actor], 0
    batch.hub, batch.hub_lost = actor_classes()[0].remote(), False
    tasks = [task for _, task in actor.inflight]
    batch.tasks, batch.rank, batch.failed_once, batch.recorded = {t.id: t for t in tasks}, {}, {}, set()
    batch.refs, batch.queue = {ref: (actor, task) for ref, task in actor.inflight}, deque()
    batch.keeper = ReportKeeper(batch.report, None)  # no report file: results only settle
    return batch


def test_a_cancel_reports_the_file_in_hand_behind_a_finished_one(ray_session) -> None:
    """An actor's first file finished (its result not collected yet) and it was busy with the
    second when the cancel came, and stayed busy past the grace period: the first is reported with
    its result, the second as interrupted (it was missing), the third, never started, not at all."""

    @ray_session.remote(num_cpus=0)
    def finished(task: FileTask) -> FileResult:
        return FileResult(Path(task.source), status=CLEANED)

    @ray_session.remote(num_cpus=0)
    def busy() -> None:
        time.sleep(30)

    tasks = [FileTask(n, f"{name}.png", f"out/{name}.png") for n, name in enumerate("abc")]
    first = finished.remote(tasks[0])
    ray_session.wait([first])
    running, queued = busy.remote(), busy.remote()
    batch = _bare_batch(ray_session, PoolActor(None, None, inflight=deque(
        [(first, tasks[0]), (running, tasks[1]), (queued, tasks[2])])))
    try:
        batch.cancel(grace=0.5)
    finally:
        for ref in (running, queued):
            ray_session.cancel(ref, force=True)
        ray_session.kill(batch.hub)
    assert [(str(f.source), f.status) for f in batch.report.files] == [("a.png", CLEANED), ("b.png", INTERRUPTED)]
    assert batch.report.files[1].error == "b.png: interrupted"
    assert not batch.refs and not batch.actors[0].inflight


@pytest.mark.parametrize("grace", [0.0, 2.0])
def test_a_cancel_with_a_dead_actor_reports_only_its_file_in_hand(ray_session, grace: float) -> None:
    """The actor died on the same Ctrl-C with three files queued: all three fail at once, in any
    order; the first, the one it was cleaning, is interrupted, the two behind it never began."""

    @ray_session.remote(num_cpus=0)
    class Worker:
        def work(self, task: FileTask) -> None:
            time.sleep(60)

    worker = Worker.remote()
    tasks = [FileTask(n, f"{name}.png", f"out/{name}.png") for n, name in enumerate("abc")]
    refs = [worker.work.remote(task) for task in tasks]
    ray_session.kill(worker)
    batch = _bare_batch(ray_session, PoolActor(worker, None, inflight=deque(zip(refs, tasks))))
    try:
        batch.cancel(grace=grace)
    finally:
        ray_session.kill(batch.hub)
    assert [(str(f.source), f.status) for f in batch.report.files] == [("a.png", INTERRUPTED)]
    assert not batch.refs


def test_a_ray_task_cancelled_mid_file_stops_the_batch_with_the_file_interrupted(tmp_path, settings,
                                                                                ray_session) -> None:
    """``ray.cancel`` of the task cleaning a file (a KeyboardInterrupt in its actor) is a stop, not
    a death: the actor is neither killed nor replaced, the file is not retried elsewhere, and it is
    in the report as interrupted, the run stopped as on Ctrl-C."""
    src = tmp_path / "scans"
    # Long enough (some 2.5 s here) that a cancel at the first page, which the driver sees within its
    # 0.2 s poll, lands mid-file even on a fast machine.
    write_image(src / "long.tif", 10, pages=32, h=768, w=768)
    write_image(src / "z.png", 2)
    clean_batch([str(src)], tmp_path / "local", settings)

    class CancelTheTask(CleanProgress):
        def __init__(self) -> None:
            self.batch, self.cancelled_pid = None, None

        def on_page_done(self, job, page) -> None:  # noqa: ANN001
            if self.cancelled_pid is not None or job.source.name != "long.tif":
                return
            for actor in self.batch.actors:
                for ref, task in actor.inflight:
                    if task.source.endswith("long.tif"):
                        ray_session.cancel(ref)
                        self.cancelled_pid = actor.pid

    progress, report = CancelTheTask(), Report()
    with pytest.raises(Cancelled):
        clean_batch_ray([src], tmp_path / "ray", settings, progress, workers=1, report=report,
                        on_batch=lambda batch: setattr(progress, "batch", batch))
    assert progress.cancelled_pid is not None
    assert progress.batch.pool.spares == 1  # the actor was not taken for dead
    status = {Path(str(f.source)).name: f for f in report.files}
    assert status["long.tif"].status == INTERRUPTED and not status["long.tif"].warnings
    assert report.interrupted and report.exit_code == EXIT_INTERRUPTED
    assert not (tmp_path / "ray" / "long.tif").exists()
    # The rerun carries on from the finished pages the cancelled task kept.
    again = clean_batch_ray([src], tmp_path / "ray", settings, workers=1)
    assert SKIPPED in {p.status for p in again.files[0].pages}
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")
    assert hidden(tmp_path / "ray") == []
