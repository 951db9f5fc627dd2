"""Joining Ray and the actor pool, for :mod:`docclean.cluster.ray_engine`: import Ray (a usage
error naming the extra when it is missing), the remote actor classes, ``connect`` (join a cluster
or start a local Ray, keeping the caller's SIGTERM handler), ``pool_shape`` (actors, threads and
GPUs per actor for the cluster's resources) and :class:`ActorPool`, the actors of one run: started,
asked whether they loaded the model, replaced when one dies, killed at the end. Which files go to
which actor is the scheduler's (``docclean.cluster.raybatch``)."""

from __future__ import annotations

import functools
import importlib.util
import os
import signal
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docclean.errors import ModelError, UsageError
from docclean.places import user_path
from docclean.report import Report
from docclean.settings import CleanSettings, available_cores

#: Why the Ray engine cannot run here.
NO_RAY = "the Ray engine needs Ray: pip install 'docclean[ray]'"


def require_ray() -> None:
    """UsageError naming the extra when Ray is not installed, found without importing it: the
    import takes a second or two, which belongs after the files are found, when the display says
    "starting Ray" (imported during the search, it read as "finding files")."""
    if importlib.util.find_spec("ray") is None:
        raise UsageError(NO_RAY, settings=("engine",))


def ray_module() -> Any:
    """The ``ray`` module (UsageError naming the extra when Ray is not installed)."""
    try:
        import ray
    except ImportError:
        raise UsageError(NO_RAY, settings=("engine",)) from None
    return ray


@functools.lru_cache(maxsize=1)
def actor_classes() -> tuple[Any, Any]:
    """The remote classes of the progress hub (no CPU reserved) and of the clean worker."""
    from docclean.cluster.actors import CleanWorker, ProgressHub

    ray = ray_module()
    return ray.remote(num_cpus=0)(ProgressHub), ray.remote(CleanWorker)


#: Seconds to wait for the cluster at a HOST:PORT address to take a connection: Ray itself retries
#: an address where nothing answers for minutes, printing a line every few seconds.
CONNECT_TIMEOUT_S = 5.0


def check_address(address: str) -> None:
    """UsageError unless ``address`` is ``auto`` or a ``HOST:PORT`` (``ray://`` too) that takes a
    TCP connection within :data:`CONNECT_TIMEOUT_S` (a cluster's head node listens there)."""
    import socket

    if address == "auto":
        return
    host, colon, port = address.removeprefix("ray://").rpartition(":")
    if not colon or not host or not port.isdigit():
        raise UsageError(f"not a Ray address: {address}; give auto, HOST:PORT or ray://HOST:PORT",
                         settings=("address",))
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        why = f"no answer within {CONNECT_TIMEOUT_S:g} s" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise UsageError(f"cannot reach the Ray cluster at {address} ({why}); is its head node running "
                         "(ray start --head)?", settings=("address",)) from None


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``), or start a
    Ray on this machine when ``address`` is None or ``local`` (``RAY_ADDRESS`` is honoured).
    Returns True when this call started or joined Ray (so the caller shuts it down)."""
    import logging

    ray = ray_module()
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "logging_level": logging.WARNING}
    # ray.init installs its own SIGTERM handler (exit at once, no report); the caller's one (the
    # CLI's, which stops the batch cleanly with exit code 143) is put back afterwards.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    # Ray says on every start, and on joining a cluster once a token is on this machine, that the
    # Ray uses token authentication: a line through the progress bar, even with -q, about a setting
    # the user made (or, locally, about a Ray that lives as long as this run).
    auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = auth.level
    auth.setLevel(logging.ERROR)
    try:
        if address == "local" or (address is None and not os.environ.get("RAY_ADDRESS")):
            ray.init(address="local", num_cpus=available_cores(), **kwargs)  # never a stale cluster file
        else:
            given = address or os.environ["RAY_ADDRESS"]
            check_address(given)
            try:
                ray.init(address=address, **kwargs)  # None: RAY_ADDRESS
            except ConnectionError as exc:
                raise UsageError(f"cannot reach the Ray cluster at {given}: {exc}", settings=("address",)) from None
            except ValueError as exc:  # Ray's "Invalid address format"
                raise UsageError(f"not a Ray address: {given} ({exc}); give auto, HOST:PORT or ray://HOST:PORT",
                                 settings=("address",)) from None
    finally:
        auth.setLevel(level)
    if callable(previous):
        signal.signal(signal.SIGTERM, previous)
    return True


def pool_shape(settings: CleanSettings, workers: int | None, resources: dict[str, float]
               ) -> tuple[int, int, float]:
    """(actors, threads per actor, GPUs per actor) for the cluster's ``resources``.

    On GPUs: one actor per GPU; ``workers`` overrides, and more workers than GPUs share them
    (each actor asks Ray for its fraction of a GPU): on one GPU the network is a small part of a
    page's time and decoding, tiling and encoding the rest, so several processes feeding one GPU
    keep it busier than one (README, GPU). On CPUs: ``threads`` per actor is the setting, else the
    CPUs divided by ``workers``, else 1; actors default to CPUs // threads."""
    cpus, gpus = int(resources.get("CPU", 1)), int(resources.get("GPU", 0))
    if gpus >= 1 and settings.device in ("auto", "cuda"):
        actors = workers or gpus
        # Rounded down to 1/100 (Ray's GPU granularity), so that the actors fit, but never to 0,
        # which would put the actor on no GPU at all.
        return actors, settings.threads or 1, 1.0 if actors <= gpus else max(0.01, int(100 * gpus / actors) / 100)
    if settings.threads:
        threads = settings.threads
    elif workers:
        threads = max(1, cpus // workers)
    else:
        threads = 1
    return workers or max(1, cpus // threads), threads, 0


def crowding(actors: int, threads: int, gpus: float, resources: dict[str, float]) -> int | None:
    """How many of ``actors`` CPU actors of ``threads`` threads the cluster's ``resources`` run at
    once, when that is fewer than all of them (Ray leaves the others waiting for room, which on a
    cluster that does not grow is for good); None when they all fit or they run on GPUs."""
    if gpus:
        return None
    fit = int(resources.get("CPU", 0) // threads)
    return fit if fit < actors else None


@dataclass
class PoolActor:
    """One actor of the pool; ``inflight`` is the scheduler's: its files, oldest (running) first."""

    handle: Any
    ready: Any  # the describe() ref until the actor has answered; None: up; False: given up
    pid: int | None = None
    inflight: deque = field(default_factory=deque)  # (ref, task), oldest first: the first one runs


class ActorPool:
    """The actors of one run (``actors``, with their ``pid`` once they answered) and the progress
    hub they report to (``hub``). ``settings`` are the actors' (their thread count); ``spares``
    counts the replacements left (as many as there are actors)."""

    def __init__(self, settings: CleanSettings, report: Report, *, workers: int | None,
                 storage_options: dict[str, Any] | None, staging: Path | None = None) -> None:
        ray = ray_module()
        self.ray, self.report = ray, report
        resources = ray.cluster_resources()
        self.size, threads, gpus = pool_shape(settings, workers, resources)
        if not gpus and threads > resources.get("CPU", 0):
            raise UsageError(f"the Ray cluster has {resources.get('CPU', 0):g} CPUs: an actor of {threads} threads "
                             "cannot be placed; lower --threads", settings=("threads",))
        self.settings = settings.replace(threads=threads)
        self.fit = crowding(self.size, threads, gpus, resources)
        self.crowded = None if self.fit is None else (
            f"--workers {self.size} of {threads} thread{'s' * (threads != 1)} need {self.size * threads} CPUs and the "
            f"Ray cluster has {resources.get('CPU', 0):g}: {self.fit} run at once, the others wait for room")
        self.spares = self.size
        Hub, self._Worker = actor_classes()
        self.hub = Hub.remote()
        model = user_path(settings.model)
        model_bytes = model.read_bytes() if model.suffix == ".safetensors" and model.is_file() else None
        self.args = (self.settings.to_dict(), None if model_bytes is None else ray.put(model_bytes), self.hub,
                     storage_options, None if staging is None else str(staging))
        self.options = {"num_cpus": threads, "num_gpus": gpus, "max_restarts": 0}
        self.up = False  # an actor has loaded the model: a later load error is that actor's, not the model's
        self.actors: list[PoolActor] = [self._start() for _ in range(self.size)]

    def _start(self) -> PoolActor:
        handle = self._Worker.options(**self.options).remote(*self.args)
        return PoolActor(handle, handle.describe.remote())

    def ready(self) -> list[PoolActor]:
        """The actors that have loaded the model."""
        return [a for a in self.actors if a.ready is None]

    def starting(self) -> list[Any]:
        """The describe() refs of the actors that have not answered yet."""
        return [a.ready for a in self.actors if a.ready not in (None, False)]

    def wait_for_first(self, check_stop: Any, poll: float) -> None:
        """Block until one actor has loaded the model (``check_stop()`` between looks); a model
        that no actor can load is a ModelError."""
        pending = {a.ready: a for a in self.actors}
        while pending:
            check_stop()
            done, _ = self.ray.wait(list(pending), num_returns=1, timeout=poll)
            for ref in done:
                actor = pending.pop(ref)
                self._answered(actor)
                if actor.ready is None:
                    return

    def check_starting(self) -> None:
        """Take in the answers of actors that have finished starting, without waiting."""
        starting = self.starting()
        if starting:
            done, _ = self.ray.wait(starting, num_returns=len(starting), timeout=0)
            for actor in [a for a in self.actors if a.ready in done]:
                self._answered(actor)

    def _answered(self, actor: PoolActor) -> None:
        try:
            info = self.ray.get(actor.ready)
        except self.ray.exceptions.RayError as exc:
            actor.ready = False
            self.replace(actor, exc)
            return
        if info["error"]:
            if not self.up:  # no actor could load it: the model (or its setting) is at fault
                raise ModelError(f"the Ray workers cannot load the model: {info['error']}", self.settings.model)
            # Another actor has loaded it: this one's node is at fault (memory, a missing file);
            # drop it like a dead one, and the others carry on.
            actor.ready = False
            self.replace(actor, RuntimeError(info["error"]))
            return
        actor.ready, actor.pid, self.up = None, info["pid"], True
        report = self.report
        if report.model_path is None:
            report.model_path = info.get("model_path")
        if report.device is None:
            running = self.size if self.fit is None else self.fit
            report.device = (f"ray: {running} worker{'s' * (running != 1)} x "
                             f"{self.settings.threads} thread{'s' * (self.settings.threads != 1)}, "
                             f"{info['device']}")
            report.model_metadata = info["metadata"]

    def replace(self, actor: PoolActor, exc: BaseException) -> None:
        """Kill ``actor`` (dead or given up for ``exc``) and start a new one while spares last."""
        try:
            self.ray.kill(actor.handle)
        except Exception:  # already gone
            pass
        self.actors.remove(actor)
        if self.spares > 0:
            self.spares -= 1
            self.actors.append(self._start())

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
