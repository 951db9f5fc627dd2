"""What runs inside the Ray cluster: the actor that cleans files, and the progress hub.

``CleanWorker`` loads the model once and cleans the files it is given through
``docclean.cluster.unit.clean_file``; ``ProgressHub`` is a tiny actor that gathers the workers'
progress events for the driver and holds the cancel flag they check between tiles.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from docclean.cluster.unit import FileTask
from docclean.places import user_path
from docclean.progress import WARN_DECODER, CleanProgress
from docclean.report import FileResult
from docclean.settings import CleanSettings

CANCEL_POLL = 0.25
"""Seconds between an actor's looks at the cancel flag."""


class _CancelFlag:
    """The hub's cancel flag as an actor sees it: asked at most every ``CANCEL_POLL`` seconds."""

    def __init__(self, hub: Any) -> None:
        self.hub, self._checked, self._cancel, self._lost = hub, 0.0, False, False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self._cancel and not self._lost and now - self._checked > CANCEL_POLL:
            import ray

            self._checked = now
            try:
                self._cancel = bool(ray.get(self.hub.is_cancelled.remote()))
            except ray.exceptions.RayError:
                # The hub died: no cancel can come through it any more (the driver then kills the
                # actors when it stops), and failing every file for it would be worse.
                self._lost = True
        return self._cancel


def _task_cancelled() -> bool:
    """True when this actor task was cancelled through Ray (``ray.cancel``): Ray does not interrupt
    a running task of a regular actor, it sets a flag the task can read (Ray 2.x, recent)."""
    import ray

    try:
        return bool(ray.get_runtime_context().is_canceled())
    except Exception:  # an older Ray without the flag, or outside a task
        return False


class _HubProgress(CleanProgress):
    """Inside an actor: sends the batch runner's events to the hub and reads its cancel flag, and
    whether this very task was cancelled through Ray (then the file stops between tiles as on a
    cancel; the driver stops the batch)."""

    def __init__(self, hub: Any, task_id: int, flag: _CancelFlag) -> None:
        self.hub, self.task_id, self.flag = hub, task_id, flag

    def on_file_start(self, job: Any, pages: int) -> None:
        self.hub.push.remote([("start", self.task_id, pages)])

    def on_page_done(self, job: Any, page: Any) -> None:
        self.hub.push.remote([("page", self.task_id, page)])

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        self.hub.push.remote([("warning", self.task_id, source, message, kind)])

    def cancelled(self) -> bool:
        return self.flag() or _task_cancelled()


class ProgressHub:
    """A tiny actor (no CPU reserved) that gathers progress events and holds the cancel flag."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.cancel = False

    def push(self, events: list[tuple]) -> None:
        self.events.extend(events)

    def drain(self) -> list[tuple]:
        events, self.events = self.events, []
        return events

    def set_cancelled(self) -> None:
        self.cancel = True

    def is_cancelled(self) -> bool:
        return self.cancel


def _local_copy(model_bytes: bytes) -> Path:
    """The shipped model as a file on this node, named by its digest: every actor and every run on
    the node shares one copy (a copy per actor filled /tmp), written whole or not at all."""
    import hashlib
    import tempfile

    from docclean.atomic import atomic_path

    digest = hashlib.sha256(model_bytes).hexdigest()[:24]
    path = Path(tempfile.gettempdir()) / f"docclean-model-{digest}.safetensors"
    if not (path.is_file() and path.stat().st_size == len(model_bytes)):
        with atomic_path(path, suffix=".safetensors") as tmp:
            tmp.write_bytes(model_bytes)
    return path


class CleanWorker:
    """An actor that loads the model once and cleans the files it is given."""

    def __init__(self, settings: dict[str, Any], model_bytes: bytes | None, hub: Any,
                 storage_options: dict[str, Any] | None, staging: str | None) -> None:
        from docclean.batch import load_cleaner

        self.hub, self.storage_options, self.error = hub, storage_options, None
        self.cancelled = _CancelFlag(hub)
        self.staging = Path(staging) if staging else None
        self.cleaner = None
        self.model_path: str | None = None
        try:
            self.settings = CleanSettings.from_dict(settings)
            named = self.settings.model  # the file the user named, before it may give way to a copy
            copied = model_bytes is not None and not _same_file(named, model_bytes)
            if copied:
                # The driver's model file is not here (another node): use the copy shipped through
                # the object store. Where it is here, its own path stays in the settings, so the
                # stamps of resumable multi-page outputs match those of the driver and local runs.
                self.settings = self.settings.replace(model=str(_local_copy(model_bytes)))
            self.cleaner = load_cleaner(self.settings)
            # The report's model.path: the file the user named, not this actor's temporary copy.
            if copied:
                self.model_path = str(user_path(named))
            elif self.cleaner.model_path:
                self.model_path = str(self.cleaner.model_path)
        except Exception as exc:  # reported to the driver by describe(), which raises it there
            self.error = f"{type(exc).__name__}: {exc}"

    def describe(self) -> dict[str, Any]:
        cleaner = self.cleaner
        return {"pid": os.getpid(), "host": socket.gethostname(), "error": self.error,
                "device": None if cleaner is None else f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}",
                "metadata": {} if cleaner is None else dict(cleaner.metadata), "model_path": self.model_path}

    def clean_file(self, task: FileTask) -> FileResult | None:
        """The file's result; None when the job was cancelled before this file began."""
        from docclean.cluster.unit import clean_file

        if self.cancelled():
            return None
        t0 = time.perf_counter()
        result = clean_file(task, self.settings, self.cleaner, _HubProgress(self.hub, task.id, self.cancelled),
                            self.storage_options, self.staging)
        result.seconds = time.perf_counter() - t0
        return result


def _same_file(path: str, data: bytes) -> bool:
    try:
        file = user_path(path)
        return file.stat().st_size == len(data) and file.read_bytes() == data
    except OSError:
        return False
