"""One file, the unit of work of a distributed clean: ``clean_file(task, ...) -> FileResult``.

A worker runs the engine's own batch runner on one file, in its single-file mode
(``clean_batch([source], staged_target)``), so page targets of multi-page sources, skipping
finished pages, the writer and error reasons are exactly those of a local run. It writes into a
private staging folder, not the output folder itself: ``clean_batch`` locks the folder it writes
to (one run per output folder), and several workers share one output folder. Each finished output
is then published:

* to a local (or shared) folder with ``os.replace`` from a staging folder on the same file system
  (``OUTPUT/.docclean-staging/``), which is atomic; across file systems, by a copy to a temporary
  file beside the target and a rename;
* to a URL with ``storage.upload_atomic`` (temporary key, then move).

Sources given as URLs are downloaded into the staging folder first. The page files a source is
split into are then settled as the local planner settles them (``docclean.cluster.pagefiles``:
taken names refused, another run's page files cleared, finished ones brought into the staging
folder so the runner skips them, left-over ones named in the warning); the work folder of an
unfinished multi-page output is borrowed for the run (``docclean.cluster.carryover``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean.cluster import carryover, pagefiles, storage
from docclean.cluster.carryover import sibling
from docclean.errors import Cancelled, OutputError
from docclean.progress import WARN_DECODER, WARN_LEFT_OUT, WARN_SETTINGS, CleanProgress
from docclean.report import CLEANED, FAILED, INTERRUPTED, SKIPPED, FileResult, Report

if TYPE_CHECKING:
    from docclean.discover import Job
    from docclean.engine import Denoiser
    from docclean.places import Folding
    from docclean.report import PageResult
    from docclean.settings import CleanSettings


@dataclass
class FileTask:
    """One input file and its planned output (local paths or URLs) as the user named them, which
    the result, its errors and progress events use; ``pages`` is the number of pages the driver
    expects to clean (an estimate of 1 when the source is remote). ``source_path`` and
    ``target_path`` are where the worker opens them ("": ``source``, ``target``): absolute, since
    a Ray actor's working folder is not the driver's (``driver.task_for``)."""

    id: int
    source: str
    target: str
    pages: int = 1
    source_path: str = ""
    target_path: str = ""
    taken: dict[str, str] = field(default_factory=dict)
    """Names beside the target that this file's page outputs would have, but that are input files
    or other inputs' outputs, each with the reason (``taken.mark_taken_pages``): never carried
    over as done, never written over. Keyed as ``folding`` compares names where that is set."""
    folding: Folding | None = None
    """How the output volume compares names (``places.folding``, asked by the driver), where a
    taken name differs from this file's page names in case or normalisation alone: ``taken`` is
    keyed by ``folding.key``. None: names compared exactly (an object store, or no such name)."""

    def paths(self) -> tuple[str, str]:
        """(source, target) as the worker opens them."""
        return self.source_path or self.source, self.target_path or self.target

    def taken_for(self, name: str) -> str | None:
        """Why the page output ``name`` beside the target may not be written, or None."""
        return self.taken.get(name if self.folding is None else self.folding.key(name))


class _Renamed(CleanProgress):
    """Passes the batch runner's events on, naming the task's own source and target instead of
    the staged copies, and asks ``outer`` whether to stop."""

    def __init__(self, outer: CleanProgress, job: Job, left_over: str | None = None) -> None:
        self.outer, self.job, self.left_over = outer, job, left_over
        self.told: str | None = None

    def on_file_start(self, job: Job, pages: int) -> None:
        self.outer.on_file_start(self.job, pages)
        if self.left_over is not None and self.told is None:  # as the local run, once the file starts
            self.told = self.left_over
            self.outer.on_warning(str(self.job.source), self.left_over, WARN_LEFT_OUT)

    def on_tile_done(self, job: Job, page: int, done: int, total: int) -> None:
        self.outer.on_tile_done(self.job, page, done, total)

    def on_page_done(self, job: Job, page: PageResult) -> None:
        self.outer.on_page_done(self.job, page)

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        if kind != WARN_SETTINGS:  # the run's driver says those once, for every file (warn_settings)
            self.outer.on_warning(str(self.job.source), message, kind)

    def cancelled(self) -> bool:
        return self.outer.cancelled()


def _failed(source: str, exc: BaseException) -> FileResult:
    from docclean.plan import describe

    # A URL stays a string (storage.location): through Path() it would lose a slash.
    return FileResult(storage.location(source), error=describe(storage.location(source), exc))  # type: ignore[arg-type]


def _folder(location: str) -> str:
    """The folder part of a path or URL, with its trailing separator ("" for a bare name)."""
    if storage.is_remote(location):
        return location.rsplit("/", 1)[0] + "/"
    parent = os.path.dirname(location)  # on Windows a path's separator is a backslash
    return parent.rstrip("/" + os.sep) + os.sep if parent else ""


def clean_file(task: FileTask, settings: CleanSettings, cleaner: Denoiser | None, progress: CleanProgress,
               storage_options: dict[str, Any] | None = None, staging: Path | None = None) -> FileResult:
    """Clean one file into ``staging`` (a folder on the output's file system; None: the system's
    temporary folder) and publish its outputs atomically. Never raises for a bad file, nor for a
    staging folder that cannot be made (the result says failed, with the reason): in a Ray actor an
    exception would cost the file its worker. When ``progress.cancelled()`` turns True the result
    is ``interrupted`` and nothing of the page in hand is published; KeyboardInterrupt and
    SIGTERM's ``Terminated`` propagate, wherever they land, after the outputs finished before them
    (pages of a multi-page source) are published: they stop the run, as in ``clean_batch``."""
    try:
        return _clean_file(task, settings, cleaner, progress, storage_options, staging)
    except Cancelled:  # Terminated: not this file's failure
        raise
    except Exception as exc:  # anything else (staging, a temporary folder) fails this file only
        return _failed(task.source, exc)


def _clean_file(task: FileTask, settings: CleanSettings, cleaner: Denoiser | None, progress: CleanProgress,
                storage_options: dict[str, Any] | None, staging: Path | None) -> FileResult:
    source_at, target_at = task.paths()
    if staging is not None:
        staging.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="file-", dir=staging) as tmp:
        staged = Path(tmp, "out", storage.location(target_at).name)
        try:
            staged.parent.mkdir(parents=True)
            _check_final(target_at, storage_options, shown=task.target)  # before a download that would be wasted
            if storage.is_remote(source_at):  # resume knows the copy again by its content (docclean.resume)
                local = Path(tmp, "in", storage.location(source_at).name)
                source = storage.download(source_at, local, storage_options)
            else:
                source = Path(source_at)

            def check(final: str) -> None:  # a page file that is no output of ours is never removed
                _check_final(final, storage_options, shown=sibling(task.target, storage.location(final).name))

            found = pagefiles.settle(task, target_at, source, settings, staged, storage_options, check)
        except Cancelled:
            raise
        except Exception as exc:  # a source that cannot be fetched fails this file only
            return _failed(task.source, exc)
        return _clean_and_publish(task, source, staged, settings, cleaner, progress, storage_options,
                                  found.left_over, found.split, found.stamped)


def _clean_and_publish(task: FileTask, source: Path, staged: Path, settings: CleanSettings,
                       cleaner: Denoiser | None, progress: CleanProgress, storage_options: dict[str, Any] | None,
                       left_over: str | None = None, page_files: bool = False, stamped: bool = False
                       ) -> FileResult:
    """``left_over``: the warning about files an earlier run left beside the target, told as the
    local run tells it, once the file starts; ``page_files``: the source is split into page files,
    whose stamp goes beside them while the file is unfinished (``carryover.keep_stamp``), and
    ``stamped``: this run's stamp lies there already, to remove once the file is finished."""
    from docclean.discover import Job

    target_at = task.paths()[1]
    job = Job(storage.location(task.source), storage.location(task.target))  # type: ignore[arg-type]
    relay = _Renamed(progress, job, left_over)
    moved = carryover.borrow_work_folder(target_at, staged)
    try:
        result, stop = _clean_local(source, staged, settings, cleaner, relay)
    finally:
        if moved is not None:  # an unfinished multi-page file keeps its finished pages for the next run
            carryover.move_folder(*moved)
    if relay.told is not None:  # first, as the local run records it
        result.warnings.insert(0, relay.told)
    finals = [sibling(target_at, local.name) for local in result.targets]
    published: list[Path] = []
    if result.status != SKIPPED:  # pages finished before a failure, a cancel or Ctrl-C are kept too
        try:
            for final in finals:  # all before any is published: a file is refused whole, as the planner does
                _check_final(final, storage_options)
            if page_files:  # an unfinished file's stamp, before its page files: they are this run's
                carryover.keep_stamp(target_at, staged, storage_options)
            for local, final in zip(result.targets, finals):
                _publish(local, final, storage_options)
                published.append(local)
        except (KeyboardInterrupt, Cancelled) as exc:  # a signal while publishing: the file is in hand
            result.status, result.error = INTERRUPTED, f"{source}: interrupted"
            stop = stop or exc
        except Exception as exc:
            if result.status != INTERRUPTED:
                result.status, result.error = FAILED, _failed(task.source, exc).error
            result.targets = published  # what is in its place; the rest never was
    if stamped and result.status in (CLEANED, SKIPPED):  # every page file is in its place
        carryover.drop_stamp(target_at, storage_options)
    if stop is not None:
        raise stop
    result.targets = [storage.location(sibling(task.target, local.name))  # type: ignore[misc]
                      for local in result.targets]
    result.source = storage.location(task.source)  # type: ignore[assignment]
    if result.error:  # name the files as the user did, not the staged or absolute copies
        for was, now in ((_folder(str(staged)), _folder(task.target)), (str(source), task.source),
                         (_folder(target_at), _folder(task.target))):
            if was:  # "" would be "replaced" between every two characters
                result.error = result.error.replace(was, now)
    return result


def _check_final(final: str, storage_options: dict[str, Any] | None, shown: str | None = None) -> None:
    """``plan.check_not_foreign`` for a path or a URL: OutputError when something that is no output
    of ours has ``final``'s name, naming it as ``shown`` (the target as the user named it)."""
    from docclean.plan import begins_like_its_format, foreign_reason, is_foreign

    if storage.is_remote(final):
        head = storage.read_head(final, 16, storage_options)
        if head is not None and not begins_like_its_format(storage.location(final).name, head):
            raise OutputError(f"{shown or final}: {foreign_reason(final)}")  # a URL as a path loses a slash
    elif is_foreign(Path(final)):
        raise OutputError(foreign_reason(final), shown or final)


def _publish(local: Path, final: str, storage_options: dict[str, Any] | None) -> None:
    """Move a finished output onto its final place, whole or not at all (checked first with
    :func:`_check_final`)."""
    if storage.is_remote(final):
        storage.upload_atomic(local, final, storage_options)
        return
    target = Path(final)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(local, target)  # same file system: atomic
        except OSError as exc:
            if exc.errno != 18:  # EXDEV: staging on another file system
                raise
            from docclean.atomic import atomic_path

            with atomic_path(target) as tmp:
                shutil.copyfile(local, tmp)
    except OSError as exc:
        raise OutputError(f"cannot write the output ({exc.strerror or exc})", target) from None


def _clean_local(source: Path, target: Path, settings: CleanSettings, cleaner: Denoiser | None,
                 progress: CleanProgress) -> tuple[FileResult, BaseException | None]:
    """The batch runner on one local file, in its single-file mode (``-o`` names the output).
    Returns the result, and what stopped it if that must stop the run (KeyboardInterrupt, or
    SIGTERM's ``Terminated``; not a cancel through ``progress``, which the result says), for the
    caller to raise once it has published what was finished."""
    from docclean.batch import clean_batch

    report = Report()
    try:
        clean_batch([str(source)], target, settings, progress, cleaner=cleaner, report=report)
    except (Cancelled, KeyboardInterrupt) as exc:
        # Stopped between tiles or before the file began: the half-written output is already gone.
        result = report.files[0] if report.files else FileResult(source)
        result.status, result.error = INTERRUPTED, f"{source}: interrupted"
        return result, None if type(exc) is Cancelled else exc
    except Exception as exc:  # NothingToClean, an output that cannot work: this file fails alone
        return _failed(str(source), exc), None
    return report.files[0], None
