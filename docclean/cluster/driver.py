"""The driver side of a distributed or object-storage clean: find and plan the files, under the output's lock.

Planning makes the same decisions as ``clean_batch`` before it cleans, in the same two steps
around the output's lock: :func:`find_files` (the output path check, discovery, which open no
file), then, holding :func:`output_guard`, :func:`plan_found` (cross-file target checks, skip
whole outputs, count pending pages), so two runs on one output cannot both plan the same work.
It returns the plan as a list of :class:`~docclean.cluster.unit.FileTask` for workers plus the
results that need no work (failed before reading, skipped, would clean). The engines that run the
tasks are ``ray_engine`` (a Ray cluster) and ``storage_engine`` (this process, on URLs); the
report they fill, from its start to its last write, is ``runreport``'s.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docclean.cluster import storage
from docclean.cluster.unit import FileTask
from docclean.outputs import STAGING_NAME
from docclean.places import user_path
from docclean.progress import CleanProgress
from docclean.report import SKIPPED, WOULD_CLEAN, FileResult, PageResult
from docclean.settings import CleanSettings

LAZY_FILES = 10_000
"""Above this many files the driver does not open each one to count its pages (about 1 ms a file
here, some 25 minutes for a million files before the first one starts): it only skips files whose
output is whole, gives every other file an estimate of one page, and leaves the rest of the planning
(page count, per-page targets, finished pages) to the worker, which plans each file anyway."""


@dataclass
class FilePlan:
    """The whole job in input order: ``slots[i]`` is a finished result or the task that makes it."""

    slots: list[FileResult | FileTask] = field(default_factory=list)
    pages: int = 0

    @property
    def tasks(self) -> list[FileTask]:
        return [s for s in self.slots if isinstance(s, FileTask)]

    @property
    def pending_targets(self) -> list[str]:
        """The outputs of the files to clean (or, in a dry run, that would be cleaned)."""
        return [t for s in self.slots for t in ([s.target] if isinstance(s, FileTask)
                                                 else map(str, s.targets) if s.status == WOULD_CLEAN else [])]


def uses_storage(inputs: list[str], output: str | Path) -> bool:
    """True when an input or the output is a URL (``s3://...``), which the storage layer handles."""
    return storage.is_remote(str(output)) or any(storage.is_remote(str(i)) for i in inputs)


@dataclass
class Found:
    """What discovery found, before any file is opened: the jobs in input order (``discover.Job``
    for a local run, ``remote_discover.RemoteJob`` when an input or the output is a URL), the output
    as the jobs name it, and whether it names one file (``-o out.pdf`` for one input); a local
    run's input folders' files of other types, which are not cleaned (``discover(left_out=)``), and
    its warnings as (item, message): an output folder in an input folder that holds scans no output
    explains (``discover(warn=)``)."""

    jobs: list[Any]
    output: str
    remote: bool = False
    single_file: bool = False
    left_out: dict[str, list[Path]] = field(default_factory=dict)
    warned: list[tuple[str, str]] = field(default_factory=list)

    @property
    def folder(self) -> Path | None:
        """The local output folder (absolute), which the lock goes in (and, for a plain path, the
        staging folder): a ``file://`` URL's folder counts as that path, so that a run given the
        URL and one given the path are one output folder to the lock; None for an output in object
        storage."""
        shown = self.shown_folder
        return None if shown is None else shown.absolute()

    @property
    def shown_folder(self) -> Path | None:
        """:attr:`folder` as the user named it (relative if given so), for error lines."""
        if storage.is_remote(self.output):
            return storage.file_url_path(self.output)
        out = user_path(self.output)
        return out.parent if self.single_file else out


def plan_files(inputs: list[str], output: str, settings: CleanSettings,
               storage_options: dict[str, Any] | None = None) -> FilePlan:
    """Discover and plan every input like the local runner; raises UsageError for an output that
    cannot work and ``NothingToClean`` when no input names a supported file. An engine takes the
    output's lock between the two steps (:func:`find_files`, :func:`output_guard`, :func:`plan_found`)."""
    return plan_found(find_files(inputs, output, settings, storage_options), settings, storage_options)


def find_files(inputs: list[str], output: str, settings: CleanSettings,
               storage_options: dict[str, Any] | None = None) -> Found:
    """The first step of planning, which opens no file and decides nothing about what is done:
    check the output path and discover the inputs, as ``clean_batch`` does before it takes the
    output's lock. Raises UsageError for an output that cannot work and ``NothingToClean`` when
    no input names a supported file."""
    from docclean.batch import NothingToClean

    if uses_storage(inputs, output):
        found = _find_remote(inputs, output, settings, storage_options)
    else:
        from docclean.discover import discover
        from docclean.plan import check_output

        out = user_path(output)
        single_file = check_output(inputs, out, settings.fmt)
        left_out: dict[str, list[Path]] = {}
        warned: list[tuple[str, str]] = []
        jobs = discover(inputs, out, settings.fmt, single_file=single_file, left_out=left_out.__setitem__,
                        warn=lambda item, message: warned.append((item, message)))
        found = Found(jobs, str(out), single_file=single_file, left_out=left_out, warned=warned)
    if not any(job.error is None for job in found.jobs):
        raise NothingToClean([f"{job.source}: {job.error}" for job in found.jobs])
    return found


def plan_found(found: Found, settings: CleanSettings, storage_options: dict[str, Any] | None = None,
               progress: CleanProgress | None = None) -> FilePlan:
    """The second step, to take while holding the output's lock (:func:`output_guard`), so that two
    runs cannot both decide to clean the same files: skip whole outputs, count pending pages.
    ``progress`` is told ``on_plan`` a few times a second while local files are checked."""
    from docclean.cluster.taken import mark_taken_pages

    plan = (_plan_remote(found, settings, storage_options) if found.remote
            else _plan_local(found.jobs, settings, progress or CleanProgress()))
    mark_taken_pages(plan.slots)
    return plan


def _plan_local(jobs: list[Any], settings: CleanSettings, progress: CleanProgress) -> FilePlan:
    from docclean.batch import PLAN_EVERY
    from docclean.discover import plan_keys
    from docclean.originals import beside_error
    from docclean.plan import Plan, describe, output_complete, plan_job

    # The same steps as clean_batch's planning (docclean.batch._run), kept in step with it.
    keys, claimed = plan_keys(jobs)  # compared as the output volume compares names
    result = FilePlan()
    lazy = len(jobs) > LAZY_FILES and not settings.dry_run
    told = time.perf_counter()
    for n, job in enumerate(jobs):
        if time.perf_counter() - told >= PLAN_EVERY:  # 10,000 files opened take seconds: show them checked
            progress.on_plan(n, len(jobs))
            told = time.perf_counter()
        if lazy and job.error is None:
            if settings.overwrite and job.beside is not None and os.path.lexists(job.target):
                # An original may be there (docclean.originals): refused as plan_job refuses it.
                result.slots.append(FileResult(job.source, error=describe(job.source, beside_error(job))))
            elif not settings.overwrite and output_complete(job.target):
                result.slots.append(FileResult(job.source, [job.target], SKIPPED))
            else:
                result.slots.append(task_for(n, str(job.source), str(job.target)))
                result.pages += 1
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                plan = plan_job(job, settings, keys, claimed)
            except Exception as exc:  # counting a broken file fails that file only
                plan = Plan(error=describe(job.source, exc))
        if plan.error is not None:
            result.slots.append(FileResult(job.source, error=plan.error))
        elif not plan.pending:
            result.slots.append(FileResult(job.source, list(plan.targets), SKIPPED))
        elif settings.dry_run:
            result.slots.append(FileResult(job.source, list(plan.targets), WOULD_CLEAN,
                                           [PageResult(i, WOULD_CLEAN) for i in plan.pending]))
        else:
            result.slots.append(task_for(n, str(job.source), str(job.target), len(plan.pending)))
            result.pages += len(plan.pending)
    return result


def task_for(n: int, source: str, target: str, pages: int = 1) -> FileTask:
    """The task of one file: named as the user named it (for the report, errors and progress), and
    to be opened at absolute paths, since a Ray actor would resolve a relative path against its
    own working folder (where the cluster was started), not this process's."""
    def absolute(location: str) -> str:
        return location if storage.is_remote(location) else str(Path(location).absolute())

    return FileTask(n, source, target, pages, absolute(source), absolute(target))


def _find_remote(inputs: list[str], output: str, settings: CleanSettings,
                 storage_options: dict[str, Any] | None) -> Found:
    from docclean.cluster.remote_discover import discover_remote
    from docclean.errors import UsageError

    if not storage.is_remote(output):
        out = user_path(output)
        if out.exists() and not out.is_dir():
            raise UsageError("the output exists and is not a folder", out, settings=("output",))
        output = str(out)
    return Found(discover_remote(inputs, output, settings.fmt, storage_options), output, remote=True)


def _plan_remote(found: Found, settings: CleanSettings, storage_options: dict[str, Any] | None) -> FilePlan:
    jobs, output = found.jobs, found.output
    done: set[str] = set()
    if not settings.overwrite:
        targets = [j.target for j in jobs if j.error is None]
        if storage.is_remote(output):
            done = storage.finished_targets(output, targets, storage_options)
        else:
            from docclean.plan import output_complete

            done = {t for t in targets if output_complete(Path(t))}
    result = FilePlan()
    for n, job in enumerate(jobs):
        # Sources and targets as Path or Url (a URL through Path() would lose a slash).
        source, target = storage.location(job.source), storage.location(job.target)
        if job.error is not None:
            result.slots.append(FileResult(source, error=f"{job.source}: {job.error}"))  # type: ignore[arg-type]
        elif job.target in done:
            result.slots.append(FileResult(source, [target], SKIPPED))  # type: ignore[arg-type]
        elif settings.dry_run:
            # Pages are not counted: that would mean downloading every source.
            result.slots.append(FileResult(source, [target], WOULD_CLEAN))  # type: ignore[arg-type]
        else:
            result.slots.append(task_for(n, job.source, job.target))
            result.pages += 1
    return result


def staging_folder(found: Found) -> Path | None:
    """Where workers stage outputs before moving them into place: a hidden folder in the output
    folder (the same file system, so the move is an atomic rename); None for a URL output.
    Absolute, as the tasks' paths are (``task_for``). A ``file://`` output is written like object
    storage (``storage.upload_atomic``), from the system's temporary folder."""
    folder = found.folder
    return None if folder is None or storage.is_remote(found.output) else folder / STAGING_NAME


@contextmanager
def output_guard(found: Found, settings: CleanSettings) -> Iterator[None]:
    """The engine's lock on a local output folder (one run per output folder, a ``file://`` URL's
    folder included: :attr:`Found.folder`), held from before planning (:func:`plan_found`) to the
    end, as ``clean_batch`` holds it; none in a dry run or for an output in object storage, which
    has no lock. A refusal names the folder as the user gave it. A run that fails before writing anything
    (a model or backend that cannot be loaded) leaves no output folder that the lock made, as with
    ``clean_batch``."""
    from docclean.outputs import MadeFolder, output_lock

    folder = found.folder
    if folder is None or settings.dry_run:
        yield
        return
    made = MadeFolder(folder)
    try:
        within = {_local(str(job.target)).parent for job in found.jobs if job.error is None}
        with output_lock(folder, within=within, shown=found.shown_folder):
            yield
    except BaseException:
        made.remove_if_empty()
        raise


def _local(location: str) -> Path:
    """A local target as a path: a ``file://`` URL's (``storage.file_url_path``) or the path itself."""
    return storage.file_url_path(location) or Path(location)


def job_of(task: FileTask) -> Any:
    """A ``discover.Job`` naming the task's source and target, for progress events (a URL as a
    ``storage.Url``, so that it matches the result's source, which progress displays key on)."""
    from docclean.discover import Job

    return Job(storage.location(task.source), storage.location(task.target))
