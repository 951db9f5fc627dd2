"""Stopping a Ray batch (Ctrl-C, SIGTERM, a cancel), for :meth:`RayBatch.cancel
<docclean.cluster.raybatch.RayBatch.cancel>`: the actors are asked to stop between tiles, what they
return within the grace period is collected, and every file an actor had in hand ends up in the
report, with its result when one came back, else as interrupted, as the local engine records the
file in hand. The scheduler that runs the batch until then is ``raybatch``'s.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from docclean.cluster.raybatch import POLL, task_failed
from docclean.cluster.storage import location
from docclean.cluster.unit import FileTask
from docclean.report import INTERRUPTED, FileResult

if TYPE_CHECKING:
    from docclean.cluster.raybatch import RayBatch


def interrupted(task: FileTask) -> FileResult:
    """The result of a file in an actor's hands when the batch stopped, which none came back for."""
    return FileResult(location(task.source),  # type: ignore[arg-type]
                      status=INTERRUPTED, error=f"{task.source}: interrupted")


def cancel(batch: RayBatch, grace: float) -> None:
    """Ask every actor to stop between tiles, collect what they return within ``grace``
    seconds, then give up on the rest (``batch.close`` kills them). Every file an actor had in hand
    is in the report: with its result when one came back, else as interrupted (its actor
    died on the same Ctrl-C, its task was cancelled, or it is still busy), as the local engine
    records the file in hand. An actor runs its files in turn, so the file in hand is the
    first of its files without a result; the ones behind it never started and stay out of the
    report, as the files after the one in hand do with the local engine."""
    batch.queue.clear()
    batch.stopping = True
    if batch.hub_lost:
        grace = 0.0  # the cancel flag lives in the hub: no actor would hear it, waiting is in vain
    dead: set[int] = set()  # actors found dead and settled
    ray = batch.ray
    try:
        batch.hub.set_cancelled.remote()
        deadline = time.monotonic() + grace
        while batch.refs and time.monotonic() < deadline:
            done, _ = ray.wait(list(batch.refs), num_returns=1, timeout=POLL)
            try:
                batch._drain()
            except ray.exceptions.RayError:  # the hub went down with the cluster's processes
                pass
            _settle(batch, done, dead)
        if batch.refs:  # whatever came in at the last moment, or all of it when there was no grace
            _settle(batch, ray.wait(list(batch.refs), num_returns=len(batch.refs), timeout=0)[0], dead)
    except KeyboardInterrupt:  # a second Ctrl-C: stop waiting
        pass
    in_hand = {id(actor): actor.inflight[0][0] for actor, _ in batch.refs.values() if actor.inflight}
    for ref, (actor, task) in list(batch.refs.items()):
        if in_hand.get(id(actor)) == ref:
            batch._record(interrupted(task), task)
        batch._forget(ref)


def _settle(batch: RayBatch, done: list, dead: set[int]) -> None:
    """Record the stopped batch's files whose tasks have ended, each actor's in the order it ran
    them. A dead actor's queued files all fail at once, in any order: its finished ones are
    recorded, the one it was cleaning is interrupted, the rest never began and stay out
    (``dead`` remembers the actors already settled so)."""
    errors, ended = batch.ray.exceptions, set(done)
    for ref in [r for r in batch.refs if r in ended]:
        if ref not in batch.refs:  # settled with its dead actor
            continue
        actor, task = batch.refs[ref]
        in_hand = bool(actor.inflight) and actor.inflight[0][0] == ref
        try:
            result = batch.ray.get(ref)  # None: the actor saw the cancel before the file began
        except errors.TaskCancelledError:  # also a RayTaskError when the task raised KeyboardInterrupt
            result = interrupted(task) if in_hand else None
        except errors.RayTaskError as exc:
            result = task_failed(task, exc)
        except errors.RayError:  # the actor died: its file in hand did not finish, the rest never began
            if id(actor) not in dead:
                dead.add(id(actor))
                rest = batch._finished_first(actor)
                if rest:
                    batch._record(interrupted(rest[0][1]), rest[0][1])
                for lost, _ in rest:
                    batch.refs.pop(lost, None)
                actor.inflight.clear()
            continue
        if result is not None:
            batch._record(result, task)
        batch._forget(ref)
