"""One Ray run of a planned batch (:class:`RayBatch`), for :mod:`docclean.cluster.ray_engine`: which
file goes to which actor (at most :data:`PREFETCH` in flight per actor, one each when few files
are left: ``in_flight``), replaying the hub's progress events, what each file's task came to (a
result, a failure of its own, its actor's death and the retry), each result into the report as it
comes (its ``RankedKeeper`` carries earlier records and writes the report meanwhile). The engine
module's docstring describes the behaviour; this is its scheduler. The cancel with its grace
period, after which every file an actor had in hand is in the report, is ``raycancel``'s; the
actors themselves (start, model loaded, replaced, killed) are ``raypool.ActorPool``'s."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

from docclean.cluster import driver, runreport
from docclean.cluster.raypool import ActorPool, PoolActor, ray_module
from docclean.cluster.storage import location
from docclean.cluster.unit import FileTask
from docclean.errors import Cancelled, Terminated
from docclean.progress import WARN_SETTINGS, CleanProgress
from docclean.report import FileResult, Report
from docclean.settings import CleanSettings

PREFETCH = 3
"""Files in flight per actor while the queue is long: one running, two queued, so an actor never
waits for the driver (``in_flight``)."""
GRACE_SECONDS = 30.0
"""After a cancel, how long busy actors get to stop between tiles before they are killed."""
POLL = 0.2
"""Seconds between the driver's looks at its actors and its stop flag."""


def in_flight(queued: int, actors: int) -> int:
    """How many files an actor may hold (running and queued on it) while ``queued`` files wait in
    the driver for ``actors`` live actors (ready or still starting): :data:`PREFETCH` while the
    queue holds enough for every actor to fill up, else one. A file queued on an actor stays
    there, whoever frees up first, so with few files left each actor takes one when it is free:
    the last files spread over every actor, one that comes up late included, and none waits
    behind a slow one (4 files on 2 actors: 2 each, not 3 on the first actor up and 1 later)."""
    return PREFETCH if queued >= actors * PREFETCH else 1


def task_failed(task: FileTask, exc: BaseException) -> FileResult:
    """The result of a file whose worker raised instead of returning one (the worker lives on)."""
    cause = getattr(exc, "cause", None) or exc
    text = f"{task.source}: unexpected error in its Ray worker: {type(cause).__name__}: {cause}"
    return FileResult(location(task.source), error=" ".join(text.split())[:1000])  # type: ignore[arg-type]


class RayBatch:
    """One Ray run of a planned batch; ``clean_batch_ray`` is the usual way in. ``pool`` holds the
    actors (``actors``: the live ones, with their ``pid`` once they answered), for tests and
    diagnostics. ``keeper`` takes each result as it is recorded (``runreport.RankedKeeper``)."""

    stopping = False  # cancelling: the keeper need not write, the run's own write follows

    def __init__(self, plan: driver.FilePlan, settings: CleanSettings, progress: CleanProgress, report: Report,
                 *, workers: int | None, storage_options: dict[str, Any] | None,
                 keeper: runreport.RankedKeeper, staging: Path | None = None) -> None:
        self.ray, self.plan, self.progress, self.report = ray_module(), plan, progress, report
        self.pool = ActorPool(settings, report, workers=workers, storage_options=storage_options, staging=staging)
        self.settings, self.hub = self.pool.settings, self.pool.hub
        if self.pool.crowded:
            report.warnings.append(self.pool.crowded)
            progress.on_warning("", self.pool.crowded, WARN_SETTINGS)
        self.keeper = keeper
        # One ranking for the report's order and the keeper's writes meanwhile.
        self.rank = keeper.rank
        self.queue: deque[FileTask] = deque(plan.tasks)
        self.refs: dict[Any, tuple[PoolActor, FileTask]] = {}
        self.failed_once: dict[int, str] = {}
        self.recorded: set[int] = set()  # task ids in the report: each file once, whatever interrupts
        self.tasks = {t.id: t for t in plan.tasks}
        self.signalled: BaseException | None = None
        self.hub_lost = False  # the progress hub died: progress stops, the batch goes on

    @property
    def actors(self) -> list[PoolActor]:
        return self.pool.actors

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        while self.queue or self.refs:
            self._check_stop()
            self.pool.check_starting()
            if not self.actors:
                self._fail_rest("no worker left: every Ray actor died")
                break
            self._dispatch()
            waiting = list(self.refs) + self.pool.starting()
            done, _ = self.ray.wait(waiting, num_returns=1, timeout=POLL) if waiting else ([], [])
            if done:  # collect every result that is in, not one per round trip
                done, _ = self.ray.wait(waiting, num_returns=len(waiting), timeout=0)
            self._drain()
            for ref in done:
                if ref in self.refs:
                    self._collect(ref)

    def _check_stop(self) -> None:
        if self.signalled is not None:
            raise self.signalled
        if self.progress.cancelled():
            raise Cancelled("cancelled")

    def on_sigterm(self, signum: int, frame: Any) -> None:
        """A SIGTERM handler that stops the batch at the driver's next look (a fifth of a second);
        raising from the handler itself would land inside Ray's C code and be lost there."""
        self.signalled = Terminated("terminated (SIGTERM)")

    def _wait_for_first_actor(self) -> None:
        """Block until one actor has loaded the model; a model that fails to load is a ModelError."""
        self.pool.wait_for_first(self._check_stop, POLL)

    def _dispatch(self) -> None:
        # One limit for the round: taken after each file, the first actor would fill up and leave
        # the others one each.
        limit = in_flight(len(self.queue), len(self.actors))
        for actor in sorted(self.pool.ready(), key=lambda a: len(a.inflight)):
            while self.queue and len(actor.inflight) < limit:
                task = self.queue.popleft()
                ref = actor.handle.clean_file.remote(task)
                actor.inflight.append((ref, task))
                self.refs[ref] = (actor, task)

    def _drain(self) -> None:
        if self.hub_lost:
            return
        try:
            events = self.ray.get(self.hub.drain.remote())
        except self.ray.exceptions.RayError:
            # The hub died (killed, its node lost): the progress display stops moving, but every
            # file's result still comes back from its actor, so the batch goes on without it.
            self.hub_lost = True
            return
        for event in events:
            kind, task_id = event[0], event[1]
            job = driver.job_of(self.tasks[task_id])
            if kind == "start":
                self.progress.on_file_start(job, event[2])
            elif kind == "page":
                self.progress.on_page_done(job, event[2])
            elif kind == "warning":
                self.progress.on_warning(str(job.source), event[3], event[4])

    def _collect(self, ref: Any) -> None:
        actor, task = self.refs[ref]
        errors = self.ray.exceptions
        try:
            result = self.ray.get(ref)
        except errors.TaskCancelledError:
            # The task was cancelled through Ray (ray.cancel, a KeyboardInterrupt in its actor): a
            # stop asked for, not a failure of the file nor a death of the actor, which lives on.
            # The batch stops as on Ctrl-C; cancel() reports this file as interrupted.
            raise Cancelled("cancelled (a Ray task was cancelled)") from None
        except errors.RayTaskError as exc:
            # The actor raised and is alive (clean_file returns failures, so this is a bug or an
            # environment problem): the file fails, the actor keeps working. Checked before death,
            # since a task error that wraps a RayActorError (the hub's) is both.
            self._record(task_failed(task, exc), task)
            self._forget(ref)
            return
        except errors.RayError as exc:
            # RayActorError, WorkerCrashedError: the actor died; anything else Ray says about a
            # lost result (ObjectLostError, out of memory) means its process or node is gone too.
            self._actor_died(actor, exc)
            return
        if result is not None:
            self._record(result, task)  # before forgetting it: a Ctrl-C in between loses no file
        self._forget(ref)

    def _forget(self, ref: Any) -> None:
        actor, _ = self.refs.pop(ref)
        actor.inflight = deque(item for item in actor.inflight if item[0] != ref)

    def _record(self, result: FileResult, task: FileTask) -> None:
        if task.id in self.recorded:
            return
        if task.id in self.failed_once:
            result.warnings.append(f"retried after its Ray worker died: {self.failed_once[task.id]}")
        self.recorded.add(task.id)  # first: a Ctrl-C between the two lines must not record it twice
        self.rank[id(result)] = task.id
        self.report.files.append(result)
        self.progress.on_file_done(result)
        self.keeper.settled(result, not self.stopping)

    def _actor_died(self, actor: PoolActor, exc: BaseException) -> None:
        """The file the actor was running gets one more try; those queued behind it go back freely."""
        cause = " ".join(str(exc).split())[:300]
        again = []
        for n, (ref, task) in enumerate(self._finished_first(actor)):
            self.refs.pop(ref, None)
            if n > 0:
                again.append(task)
            elif task.id in self.failed_once:
                self._record(FileResult(location(task.source),  # type: ignore[arg-type]
                                        error=f"{task.source}: its Ray worker died twice while "
                                              f"cleaning it; not retried again ({cause})"), task)
            else:
                self.failed_once[task.id] = cause
                again.append(task)
        self.queue.extendleft(reversed(again))  # first in line again, in their order
        actor.inflight.clear()
        actor.ready = False
        self.pool.replace(actor, exc)

    def _finished_first(self, actor: PoolActor) -> list:
        """Record the files the dead actor had finished but whose results were not collected yet
        (a fast file can finish and the next one start before the driver looks); returns the
        rest of its queue, so the first entry is the file it was really cleaning."""
        rest = []
        for ref, task in actor.inflight:
            if not rest and self.ray.wait([ref], timeout=0)[0]:
                try:
                    result = self.ray.get(ref)
                except self.ray.exceptions.RayTaskError as exc:  # failed before the death, alone
                    result = task_failed(task, exc)
                except self.ray.exceptions.RayError:
                    rest.append((ref, task))  # this is the one that died
                    continue
                self.refs.pop(ref, None)
                if result is not None:
                    self._record(result, task)
                continue
            rest.append((ref, task))
        return rest

    def _fail_rest(self, reason: str) -> None:
        while self.queue:
            task = self.queue.popleft()
            self._record(FileResult(location(task.source),  # type: ignore[arg-type]
                                    error=f"{task.source}: {reason}"), task)

    # -- stopping ---------------------------------------------------------------------------------

    def cancel(self, grace: float = GRACE_SECONDS) -> None:
        """Ask every actor to stop between tiles, collect what they return within ``grace``
        seconds, then give up on the rest (``close`` kills them); every file an actor had in hand
        is in the report (``raycancel.cancel``)."""
        from docclean.cluster.raycancel import cancel  # it uses this module's helpers

        cancel(self, grace)

    def close(self) -> None:
        """Kill the actors and the hub (outputs are atomic, so a killed actor leaves none half-written)."""
        self.pool.close()
