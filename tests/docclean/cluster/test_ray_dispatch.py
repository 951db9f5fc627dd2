"""Which file goes to which Ray actor (``RayBatch._dispatch``), without Ray: fake actors run their
files in turn on a simulated clock, one may come up late, and the driver hands out files at each
event as its loop does. A small batch spreads over all the actors; a big one keeps PREFETCH files
in flight per actor."""

from __future__ import annotations

import itertools
from collections import deque

from docclean.cluster.raybatch import PREFETCH, RayBatch, in_flight
from docclean.cluster.raypool import ActorPool, PoolActor
from docclean.cluster.unit import FileTask

STARTING = "starting"  # an actor's ready ref until it has loaded the model


class FakeHandle:
    """An actor handle whose ``clean_file.remote`` returns a new ref (a number never used before)."""

    refs = itertools.count()

    def __init__(self) -> None:
        self.clean_file = self

    def remote(self, task: FileTask) -> int:
        return next(self.refs)


def simulate(costs: list[float], up_at: list[float]) -> tuple[dict[str, list[str]], float, int]:
    """Run files of ``costs`` seconds on actors that load the model at ``up_at`` seconds, handing
    them out with ``RayBatch._dispatch`` whenever a file ends or an actor comes up. Returns the
    files each actor cleaned ("a", "b", ...) in order, when the last one ended, and the most files
    an actor held at once."""
    tasks = [FileTask(i, f"f{i}.png", f"out/f{i}.png") for i in range(len(costs))]
    batch = RayBatch.__new__(RayBatch)
    batch.pool = ActorPool.__new__(ActorPool)
    actors = [PoolActor(FakeHandle(), STARTING) for _ in up_at]
    names = {id(a): "abcdefgh"[n] for n, a in enumerate(actors)}
    batch.pool.actors, batch.queue, batch.refs = list(actors), deque(tasks), {}
    cleaned: dict[str, list[str]] = {names[id(a)]: [] for a in actors}
    ends: dict[int, float] = {}  # the ref of a file an actor runs -> when it ends
    now, most = 0.0, 0
    while batch.queue or batch.refs:
        for actor, up in zip(actors, up_at):
            if up <= now:
                actor.ready = None
        batch._dispatch()
        for actor in batch.pool.ready():
            most = max(most, len(actor.inflight))
            if actor.inflight and actor.inflight[0][0] not in ends:  # the actor starts its next file
                ends[actor.inflight[0][0]] = now + costs[actor.inflight[0][1].id]
        now = min([ends[a.inflight[0][0]] for a in actors if a.inflight] + [u for u in up_at if u > now])
        for actor in actors:
            if actor.inflight and ends[actor.inflight[0][0]] <= now:
                ref, task = actor.inflight.popleft()
                del batch.refs[ref]
                cleaned[names[id(actor)]].append(task.source)
    return cleaned, now, most


def test_a_few_files_spread_over_an_actor_that_comes_up_later() -> None:
    """The tester's case: with 3 or 4 files and 2 workers, the first actor up took 3 files at once
    and the second, up a moment later, got 1 or none: the batch ran one file after another."""
    cleaned, end, _ = simulate([10.0] * 3, up_at=[0.0, 1.0])
    assert sorted(map(len, cleaned.values())) == [1, 2] and end == 20.0  # not 30: one file after another
    cleaned, end, _ = simulate([10.0] * 4, up_at=[0.0, 1.0])
    assert cleaned == {"a": ["f0.png", "f2.png"], "b": ["f1.png", "f3.png"]} and end == 21.0


def test_no_file_waits_behind_a_slow_one_while_another_actor_is_free() -> None:
    cleaned, end, _ = simulate([100.0, 10.0, 10.0, 10.0], up_at=[0.0, 0.0])
    assert cleaned == {"a": ["f0.png"], "b": ["f1.png", "f2.png", "f3.png"]} and end == 100.0


def test_an_actor_that_never_comes_up_leaves_the_work_to_the_others() -> None:
    cleaned, end, most = simulate([1.0] * 5, up_at=[0.0, 1e9])
    assert cleaned["a"] == [f"f{i}.png" for i in range(5)] and end == 5.0 and most == 1


def test_a_big_batch_keeps_prefetch_files_in_flight_per_actor() -> None:
    cleaned, end, most = simulate([1.0] * 40, up_at=[0.0, 0.0])
    assert most == PREFETCH
    assert len(cleaned["a"]) == len(cleaned["b"]) == 20 and end == 20.0  # and no actor idled
    # Every file handed out once, and each actor's in the order of the queue.
    assert sorted(cleaned["a"] + cleaned["b"]) == sorted(f"f{i}.png" for i in range(40))
    assert all(files == sorted(files, key=lambda s: int(s[1:-4])) for files in cleaned.values())


def test_in_flight_is_prefetch_while_every_actor_can_fill_up_else_one() -> None:
    assert [in_flight(q, 2) for q in (0, 1, 4, 5, 6, 7, 100)] == [1, 1, 1, 1, PREFETCH, PREFETCH, PREFETCH]
    assert in_flight(PREFETCH, 1) == PREFETCH and in_flight(PREFETCH - 1, 1) == 1


def test_one_limit_per_round_fills_every_ready_actor_alike() -> None:
    """8 files on 2 ready actors: 3 each (the limit taken once per round), not 3 on the first and
    1 on the second (the limit taken again after each file, as the queue fell below 6)."""
    batch = RayBatch.__new__(RayBatch)
    batch.pool = ActorPool.__new__(ActorPool)
    actors = [PoolActor(FakeHandle(), None) for _ in range(2)]
    batch.pool.actors, batch.refs = list(actors), {}
    batch.queue = deque(FileTask(i, f"f{i}.png", f"out/f{i}.png") for i in range(8))
    batch._dispatch()
    assert [len(a.inflight) for a in actors] == [PREFETCH, PREFETCH] and len(batch.queue) == 2
