"""Joining Ray and shaping the actor pool, for :mod:`docclean.cluster.ray_engine`: import Ray (a
usage error naming the extra when it is missing), the remote actor classes, ``connect`` (join a
cluster or start a local Ray, keeping the caller's SIGTERM handler) and ``pool_shape`` (actors,
threads and GPUs per actor for the cluster's resources)."""

from __future__ import annotations

import functools
import os
import signal
import threading
from typing import Any

from docclean.errors import UsageError
from docclean.settings import CleanSettings, available_cores


def ray_module() -> Any:
    """The ``ray`` module (UsageError naming the extra when Ray is not installed)."""
    try:
        import ray
    except ImportError:
        raise UsageError("the Ray engine needs Ray: pip install 'docclean[ray]'", settings=("engine",)) from None
    return ray


@functools.lru_cache(maxsize=1)
def actor_classes() -> tuple[Any, Any]:
    """The remote classes of the progress hub (no CPU reserved) and of the clean worker."""
    from docclean.cluster.actors import CleanWorker, ProgressHub

    ray = ray_module()
    return ray.remote(num_cpus=0)(ProgressHub), ray.remote(CleanWorker)


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
    if address == "local" or (address is None and not os.environ.get("RAY_ADDRESS")):
        ray.init(address="local", num_cpus=available_cores(), **kwargs)  # never a stale cluster file
    else:
        try:
            ray.init(address=address, **kwargs)  # None: RAY_ADDRESS
        except ConnectionError as exc:
            raise UsageError(f"cannot reach the Ray cluster at {address}: {exc}", settings=("address",)) from None
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
