"""One Ray run of a planned batch (:class:`RayBatch`), for :mod:`docclean.cluster.ray_engine`: the
actor pool, handing out files (at most :data:`PREFETCH` in flight per actor), replaying the hub's
progress events, retrying the file of an actor that died, and the cancel with its grace period.
The engine module's docstring describes the behaviour; this is its scheduler."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docclean.cluster import driver
from docclean.cluster.raypool import actor_classes, pool_shape, ray_module
from docclean.cluster.storage import location
from docclean.cluster.unit import FileTask
from docclean.errors import Cancelled, ModelError, Terminated, UsageError
from docclean.progress import CleanProgress
from docclean.report import INTERRUPTED, FileResult, Report
from docclean.settings import CleanSettings

PREFETCH = 3
"""Files in flight per actor: one running, two queued, so an actor never waits for the driver."""
GRACE_SECONDS = 30.0
"""After a cancel, how long busy actors get to stop between tiles before they are killed."""
_POLL = 0.2


@dataclass
class _Actor:
    handle: Any
    ready: Any  # the describe() ref until the actor has answered
    pid: int | None = None
    inflight: deque = field(default_factory=deque)  # (ref, task), oldest first: the first one runs


def _interrupted(task: FileTask) -> FileResult:
    return FileResult(location(task.source), status=INTERRUPTED, error=f"{task.source}: interrupted")  # type: ignore[arg-type]


def _task_failed(task: FileTask, exc: BaseException) -> FileResult:
    """The result of a file whose worker raised instead of returning one (the worker lives on)."""
    cause = getattr(exc, "cause", None) or exc
    text = f"{task.source}: unexpected error in its Ray worker: {type(cause).__name__}: {cause}"
    return FileResult(location(task.source), error=" ".join(text.split())[:1000])  # type: ignore[arg-type]


class RayBatch:
    """One Ray run of a planned batch; ``clean_batch_ray`` is the usual way in. ``actors`` holds
    the live actors (with their ``pid`` once they answered), for tests and diagnostics."""

    def __init__(self, plan: driver.FilePlan, settings: CleanSettings, progress: CleanProgress, report: Report,
                 *, workers: int | None, storage_options: dict[str, Any] | None,
                 staging: Path | None = None) -> None:
        ray = ray_module()
        self.ray, self.plan, self.progress, self.report = ray, plan, progress, report
        resources = ray.cluster_resources()
        self.size, threads, gpus = pool_shape(settings, workers, resources)
        if not gpus and threads > resources.get("CPU", 0):
            raise UsageError(f"the Ray cluster has {resources.get('CPU', 0):g} CPUs: an actor of {threads} threads "
                             "cannot be placed; lower --threads", settings=("threads",))
        self.settings = settings.replace(threads=threads)
        self.spares = self.size
        Hub, self._Worker = actor_classes()
        self.hub = Hub.remote()
        model = Path(settings.model).expanduser()
        model_bytes = model.read_bytes() if model.suffix == ".safetensors" and model.is_file() else None
        self._args = (self.settings.to_dict(), None if model_bytes is None else ray.put(model_bytes), self.hub,
                      storage_options, None if staging is None else str(staging))
        self._options = {"num_cpus": threads, "num_gpus": gpus, "max_restarts": 0}
        self.actors: list[_Actor] = [self._start_actor() for _ in range(self.size)]
        self.rank = {id(s): i for i, s in enumerate(plan.slots) if isinstance(s, FileResult)}
        self.queue: deque[FileTask] = deque(plan.tasks)
        self.refs: dict[Any, tuple[_Actor, FileTask]] = {}
        self.failed_once: dict[int, str] = {}
        self.tasks = {t.id: t for t in plan.tasks}
        self.signalled: BaseException | None = None
        self.up = False  # an actor has loaded the model: a later load error is that actor's, not the model's
        self.hub_lost = False  # the progress hub died: progress stops, the batch goes on

    def _start_actor(self) -> _Actor:
        handle = self._Worker.options(**self._options).remote(*self._args)
        return _Actor(handle, handle.describe.remote())

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        while self.queue or self.refs:
            self._check_stop()
            self._check_starting()
            if not self.actors:
                self._fail_rest("no worker left: every Ray actor died")
                break
            self._dispatch()
            waiting = list(self.refs) + [a.ready for a in self.actors if a.ready not in (None, False)]
            done, _ = self.ray.wait(waiting, num_returns=1, timeout=_POLL) if waiting else ([], [])
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
        pending = {a.ready: a for a in self.actors}
        while pending:
            self._check_stop()
            done, _ = self.ray.wait(list(pending), num_returns=1, timeout=_POLL)
            for ref in done:
                actor = pending.pop(ref)
                self._answered(actor)
                if actor.ready is None:
                    return

    def _answered(self, actor: _Actor) -> None:
        try:
            info = self.ray.get(actor.ready)
        except self.ray.exceptions.RayError as exc:
            actor.ready = False
            self._replace(actor, exc)
            return
        if info["error"]:
            if not self.up:  # no actor could load it: the model (or its setting) is at fault
                raise ModelError(f"the Ray workers cannot load the model: {info['error']}", self.settings.model)
            # Another actor has loaded it: this one's node is at fault (memory, a missing file);
            # drop it like a dead one, and the others carry on.
            actor.ready = False
            self._replace(actor, RuntimeError(info["error"]))
            return
        actor.ready, actor.pid, self.up = None, info["pid"], True
        if self.report.model_path is None:
            self.report.model_path = info.get("model_path")
        if self.report.device is None:
            self.report.device = (f"ray: {self.size} worker{'s' * (self.size != 1)} x "
                                  f"{self.settings.threads} thread{'s' * (self.settings.threads != 1)}, "
                                  f"{info['device']}")
            self.report.model_metadata = info["metadata"]

    def _check_starting(self) -> None:
        starting = [a.ready for a in self.actors if a.ready not in (None, False)]
        if starting:
            done, _ = self.ray.wait(starting, num_returns=len(starting), timeout=0)
            for actor in [a for a in self.actors if a.ready in done]:
                self._answered(actor)

    def _dispatch(self) -> None:
        for actor in sorted((a for a in self.actors if a.ready is None), key=lambda a: len(a.inflight)):
            while self.queue and len(actor.inflight) < PREFETCH:
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
        try:
            result = self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            # The actor raised and is alive (clean_file returns failures, so this is a bug or an
            # environment problem): the file fails, the actor keeps working. Checked before death,
            # since a task error that wraps a RayActorError (the hub's) is both.
            self._forget(ref)
            self._record(_task_failed(task, exc), task)
            return
        except self.ray.exceptions.RayError as exc:
            # RayActorError, WorkerCrashedError: the actor died; anything else Ray says about a
            # lost result (ObjectLostError, out of memory) means its process or node is gone too.
            self._actor_died(actor, exc)
            return
        self._forget(ref)
        if result is not None:
            self._record(result, task)

    def _forget(self, ref: Any) -> None:
        actor, _ = self.refs.pop(ref)
        actor.inflight = deque(item for item in actor.inflight if item[0] != ref)

    def _record(self, result: FileResult, task: FileTask) -> None:
        if task.id in self.failed_once:
            result.warnings.append(f"retried after its Ray worker died: {self.failed_once[task.id]}")
        self.rank[id(result)] = task.id
        self.report.files.append(result)
        self.progress.on_file_done(result)

    def _actor_died(self, actor: _Actor, exc: BaseException) -> None:
        """The file the actor was running gets one more try; those queued behind it go back freely."""
        cause = " ".join(str(exc).split())[:300]
        again = []
        for n, (ref, task) in enumerate(self._finished_first(actor)):
            self.refs.pop(ref, None)
            if n > 0:
                again.append(task)
            elif task.id in self.failed_once:
                self._record(FileResult(location(task.source), error=f"{task.source}: its Ray worker died twice while "  # type: ignore[arg-type]
                                        f"cleaning it; not retried again ({cause})"), task)
            else:
                self.failed_once[task.id] = cause
                again.append(task)
        self.queue.extendleft(reversed(again))  # first in line again, in their order
        actor.inflight.clear()
        actor.ready = False
        self._replace(actor, exc)

    def _finished_first(self, actor: _Actor) -> list:
        """Record the files the dead actor had finished but whose results were not collected yet
        (a fast file can finish and the next one start before the driver looks); returns the
        rest of its queue, so the first entry is the file it was really cleaning."""
        rest = []
        for ref, task in actor.inflight:
            if not rest and self.ray.wait([ref], timeout=0)[0]:
                try:
                    result = self.ray.get(ref)
                except self.ray.exceptions.RayTaskError as exc:  # failed before the death, alone
                    result = _task_failed(task, exc)
                except self.ray.exceptions.RayError:
                    rest.append((ref, task))  # this is the one that died
                    continue
                self.refs.pop(ref, None)
                if result is not None:
                    self._record(result, task)
                continue
            rest.append((ref, task))
        return rest

    def _replace(self, actor: _Actor, exc: BaseException) -> None:
        try:
            self.ray.kill(actor.handle)
        except Exception:  # already gone
            pass
        self.actors.remove(actor)
        if self.spares > 0:
            self.spares -= 1
            self.actors.append(self._start_actor())

    def _fail_rest(self, reason: str) -> None:
        while self.queue:
            task = self.queue.popleft()
            self._record(FileResult(location(task.source), error=f"{task.source}: {reason}"), task)  # type: ignore[arg-type]

    # -- stopping ---------------------------------------------------------------------------------

    def cancel(self, grace: float = GRACE_SECONDS) -> None:
        """Ask every actor to stop between tiles, collect what they return within ``grace``
        seconds, then give up on the rest (``close`` kills them). A file that was being cleaned
        and returns no result (its actor died on the same Ctrl-C, or is still busy) is recorded as
        interrupted, as the local engine records the file in hand."""
        self.queue.clear()
        running = {actor.inflight[0][0] for actor in self.actors if actor.inflight}
        lost = self.ray.exceptions.RayError
        if self.hub_lost:
            grace = 0.0  # the cancel flag lives in the hub: no actor would hear it, waiting is in vain
        try:
            self.hub.set_cancelled.remote()
            deadline = time.monotonic() + grace
            while self.refs and time.monotonic() < deadline:
                done, _ = self.ray.wait(list(self.refs), num_returns=1, timeout=_POLL)
                try:
                    self._drain()
                except lost:  # the hub went down with the cluster's processes
                    pass
                for ref in done:
                    _, task = self.refs[ref]
                    self._forget(ref)
                    try:
                        result = self.ray.get(ref)
                    except self.ray.exceptions.RayTaskError as exc:
                        result = _task_failed(task, exc)
                    except lost:
                        result = _interrupted(task) if ref in running else None
                    if result is not None:
                        self._record(result, task)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
            pass
        for ref in [r for r in self.refs if r in running]:
            _, task = self.refs[ref]
            self._forget(ref)
            self._record(_interrupted(task), task)

    def close(self) -> None:
        """Kill the actors and the hub (outputs are atomic, so a killed actor leaves none half-written)."""
        for actor in self.actors:
            try:
                self.ray.kill(actor.handle)
            except Exception:
                pass
        try:
            self.ray.kill(self.hub)
        except Exception:
            pass
        self.actors = []
