"""The driver side of a distributed or object-storage clean: plan the files, collect the results.

:func:`plan_files` makes the same decisions as ``clean_batch`` before it cleans (the output path
check, discovery, cross-file target checks, skip whole outputs, count pending pages), but returns
them as a list of :class:`~docclean.cluster.unit.FileTask` for workers plus the results that
need no work (failed before reading, skipped, would clean). :func:`clean_batch_remote` is the
local engine for inputs or outputs in object storage: it runs the tasks one after another in this
process with one model.
"""

from __future__ import annotations

import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docclean.cluster import storage
from docclean.cluster.unit import STAGING_NAME, FileTask, clean_file
from docclean.errors import Cancelled
from docclean.progress import CleanProgress
from docclean.report import INTERRUPTED, SKIPPED, WOULD_CLEAN, FileResult, PageResult, Report
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


def uses_storage(inputs: list[str], output: str | Path) -> bool:
    """True when an input or the output is a URL (``s3://...``), which the storage layer handles."""
    return storage.is_remote(str(output)) or any(storage.is_remote(str(i)) for i in inputs)


def plan_files(inputs: list[str], output: str, settings: CleanSettings,
               storage_options: dict[str, Any] | None = None) -> FilePlan:
    """Discover and plan every input like the local runner; raises UsageError for an output that
    cannot work and ``NothingToClean`` when no input names a supported file."""
    if uses_storage(inputs, output):
        return _plan_remote(inputs, output, settings, storage_options)
    return _plan_local(inputs, Path(output).expanduser(), settings)


def _plan_local(inputs: list[str], output: Path, settings: CleanSettings) -> FilePlan:
    from docclean.batch import NothingToClean
    from docclean.discover import discover, input_keys, path_key
    from docclean.plan import Plan, check_output, describe, output_complete, plan_job

    # The same steps as clean_batch's planning (docclean.batch._run), kept in step with it.
    single_file = check_output(inputs, output)
    jobs = discover(inputs, output, settings.fmt, single_file=single_file)
    if not any(job.error is None for job in jobs):
        raise NothingToClean([f"{job.source}: {job.error}" for job in jobs])
    keys = input_keys(jobs)
    claimed = {path_key(job.target) for job in jobs if job.error is None}
    result = FilePlan()
    lazy = len(jobs) > LAZY_FILES and not settings.dry_run
    for n, job in enumerate(jobs):
        if lazy and job.error is None:
            if not settings.overwrite and output_complete(job.target):
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


def _plan_remote(inputs: list[str], output: str, settings: CleanSettings,
                 storage_options: dict[str, Any] | None) -> FilePlan:
    from docclean.batch import NothingToClean
    from docclean.errors import UsageError

    if not storage.is_remote(output):
        out = Path(output).expanduser()
        if out.exists() and not out.is_dir():
            raise UsageError("the output exists and is not a folder", out, settings=("output",))
        output = str(out)
    jobs = storage.discover_remote(inputs, output, settings.fmt, storage_options)
    if not any(job.error is None for job in jobs):
        raise NothingToClean([f"{job.source}: {job.error}" for job in jobs])
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


def staging_folder(output: str, plan: FilePlan) -> Path | None:
    """Where workers stage outputs before moving them into place: a hidden folder in the output
    folder (the same file system, so the move is an atomic rename); None for a URL output.
    Absolute, as the tasks' paths are (``task_for``)."""
    if storage.is_remote(output):
        return None
    out = Path(output).expanduser()
    single = len(plan.slots) == 1 and isinstance(plan.slots[0], FileTask) and plan.slots[0].target == str(out)
    return (out.parent if single else out).absolute() / STAGING_NAME


def output_guard(output: str, plan: FilePlan) -> Any:
    """The engine's lock on a local output folder (one run per output folder), if it has one."""
    from contextlib import nullcontext

    if storage.is_remote(output) or not plan.tasks:
        return nullcontext()
    try:
        from docclean.outputs import output_lock
    except ImportError:  # an engine without output locks
        return nullcontext()
    folder = staging_folder(output, plan)
    return output_lock(folder.parent) if folder is not None else nullcontext()


def job_of(task: FileTask) -> Any:
    """A ``discover.Job`` naming the task's source and target, for progress events (a URL as a
    ``storage.Url``, so that it matches the result's source, which progress displays key on)."""
    from docclean.discover import Job

    return Job(storage.location(task.source), storage.location(task.target))


def start_report(report: Report, inputs: list[str], output: str, settings: CleanSettings) -> None:
    report.settings, report.inputs, report.output = settings.to_dict(), list(inputs), str(output)
    report.model_name = settings.model


def emit_done(plan: FilePlan, progress: CleanProgress, report: Report) -> None:
    """Report the results that needed no work (failed, skipped, would clean), in input order."""
    for slot in plan.slots:
        if isinstance(slot, FileResult):
            report.files.append(slot)
            progress.on_file_done(slot)


def order_results(report: Report, rank: dict[int, int]) -> None:
    """Put ``report.files`` back in input order (workers finish in any order); ``rank`` maps
    ``id(result)`` to its input position."""
    report.files.sort(key=lambda f: rank.get(id(f), len(rank)))


def clean_batch_remote(inputs: list[str], output: str, settings: CleanSettings | None = None,
                       progress: CleanProgress | None = None, *, report_path: str | Path | None = None,
                       report: Report | None = None, storage_options: dict[str, Any] | None = None) -> Report:
    """The local engine for inputs or outputs in object storage: like ``clean_batch`` (same
    settings, outputs, report, exit codes), one file at a time through ``unit.clean_file``."""
    from docclean.batch import load_cleaner

    settings = settings or CleanSettings()
    progress = progress or CleanProgress()
    report = report if report is not None else Report()
    if storage_options is None:
        storage_options = storage.storage_options_from_env()
    inputs = [str(i) for i in inputs]
    plan = plan_files(inputs, str(output), settings, storage_options)
    start_report(report, inputs, str(output), settings)
    cleaner = load_cleaner(settings) if plan.tasks else None
    if cleaner is not None:
        report.model_path = str(cleaner.model_path) if cleaner.model_path else None
        report.model_metadata = dict(cleaner.metadata)
        report.device = f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}"
    staging = staging_folder(str(output), plan)
    with output_guard(str(output), plan):
        try:
            _run_here(plan, settings, cleaner, progress, report, storage_options, staging)
        finally:
            if report_path is not None:
                report.write_json(report_path)
            if staging is not None and plan.tasks:
                shutil.rmtree(staging, ignore_errors=True)
    return report


def _run_here(plan: FilePlan, settings: CleanSettings, cleaner: Any, progress: CleanProgress, report: Report,
              storage_options: dict[str, Any] | None, staging: Path | None) -> None:
    start = time.perf_counter()
    try:
        progress.on_start(len(plan.slots), plan.pages)
        for slot in plan.slots:
            if isinstance(slot, FileResult):
                report.files.append(slot)
                progress.on_file_done(slot)
                continue
            if progress.cancelled():
                raise Cancelled("cancelled")
            t0 = time.perf_counter()
            try:
                result = clean_file(slot, settings, cleaner, progress, storage_options, staging)
            except KeyboardInterrupt:
                report.files.append(FileResult(storage.location(slot.source), status=INTERRUPTED,  # type: ignore[arg-type]
                                               error=f"{slot.source}: interrupted"))
                raise
            result.seconds = time.perf_counter() - t0
            report.files.append(result)
            progress.on_file_done(result)
            if result.status == INTERRUPTED:
                raise Cancelled("cancelled")
        report.seconds = time.perf_counter() - start
        progress.on_finish(report)
    except (KeyboardInterrupt, Cancelled) as exc:
        report.interrupted = True
        report.stopped = "terminated" if type(exc).__name__ == "Terminated" else "interrupted"
        raise
    finally:
        report.seconds = time.perf_counter() - start
