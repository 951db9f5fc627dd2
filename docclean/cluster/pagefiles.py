"""The page files of one task, for ``unit``: what a worker settles before it cleans the file.

A multi-page source written in a one-page format becomes page files (``NAME-p001.png``...) beside
its target (``docclean.plan.page_target``). The local planner counts them and applies its rules
before the run (``plan.plan_job``); a remote or lazy plan counts no pages, so the worker, once it
has the source, applies them itself (:func:`settle`), in the local planner's order:

* the pages are counted as the planner counts them (:func:`_count`);
* a page file that is an input file or another input's output (``FileTask.taken``, compared as
  the output volume compares names) refuses the file whole (:func:`_check_taken_pages`);
* page files under another run's stamp go from the real output, before any is taken for done, and
  those within the count an interrupted run finished are brought into the staging folder, never a
  taken one (``docclean.cluster.carryover``);
* the page files an earlier run left past the source's pages are named in the local run's warning,
  by their place in the output (:func:`_left_over_message`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean.cluster import carryover, storage
from docclean.errors import Cancelled, OutputError

if TYPE_CHECKING:
    from docclean.cluster.unit import FileTask
    from docclean.settings import CleanSettings


@dataclass(frozen=True)
class PageFiles:
    """What :func:`settle` found: ``split``, the source is written as page files (whose stamp goes
    beside them while the file is unfinished); ``stamped``, this run's stamp lies there already;
    ``left_over``, the local run's warning about the files an earlier run left, or None."""

    split: bool
    stamped: bool
    left_over: str | None


@dataclass(frozen=True)
class _Taken:
    """A task's taken names as ``carryover.fetch_done_pages`` asks them (``name in skip``),
    compared as the output volume compares names (:meth:`FileTask.taken_for`)."""

    task: FileTask

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.task.taken_for(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self.task.taken)

    def __len__(self) -> int:
        return len(self.task.taken)


def settle(task: FileTask, target_at: str, source: Path, settings: CleanSettings, staged: Path,
           storage_options: dict[str, Any] | None, check: Callable[[str], None]) -> PageFiles:
    """Apply the page-file rules to ``task`` (its output at ``target_at``, its source at ``source``,
    local) and bring its finished page files into ``staged``'s folder. ``check`` raises for a page
    file that is no output of ours, which is never removed. OutputError for a taken page file."""
    # Counted for the page files (NAME-p001.png...) a format without pages splits a source into.
    pages = None if carryover.holds_pages(target_at) else _count(source, settings)
    _check_taken_pages(task, target_at, pages)
    names = carryover.page_names(target_at, pages)
    # Page files under another run's stamp go from the real output, as the local planner
    # removes them, before any is taken for done (a big job's or a URL's plan counts no pages).
    stamped = carryover.settle_stamp(target_at, names, source, settings, staged, storage_options, check)
    beside = carryover.Beside(target_at, storage_options)  # listed once, if at all
    if not settings.overwrite:
        carryover.fetch_done_pages(target_at, staged.parent, storage_options, names, _Taken(task), beside)
    left = carryover.left_over(target_at, source, pages, lambda name: task.taken_for(name) is not None, beside)
    return PageFiles(bool(names), stamped, _left_over_message(task, pages, left))


def _count(source: Path, settings: CleanSettings) -> int | None:
    """The pages of ``source`` as the planner counts them, which its page files are named by; None
    where they cannot be counted (cleaning it says why, in the engine's words)."""
    from docclean import io as pageio
    from docclean.pagememory import pixel_limit

    try:
        return pageio.count_pages(source, pixel_limit(settings.max_pixels))
    except Cancelled:
        raise
    except Exception:  # noqa: BLE001 - a broken source
        return None


def _check_taken_pages(task: FileTask, target_at: str, pages: int | None) -> None:
    """OutputError when a page output this file would write (its source of ``pages`` pages; None:
    they could not be counted) is an input file or another input's output (``task.taken``, with the
    reason, compared as the output volume compares names): the local planner refuses that
    (``plan.plan_job``), but a remote or lazy plan counts no pages, so the worker checks once it
    has the source."""
    from docclean import formats
    from docclean.plan import page_target

    name = storage.location(target_at).name
    if not task.taken or getattr(formats.by_suffix(Path(name)), "multi_page", True) or pages is None:
        return
    for page in (page_target(Path(name), i).name for i in range(pages if pages > 1 else 0)):
        reason = task.taken_for(page)  # as the output volume compares names: Scan-p001.png is scan-p001.png's there
        if reason is not None:  # named as this file would write it, as the local planner names it
            raise OutputError(reason, storage.location(carryover.sibling(task.target, page)))


def _left_over_message(task: FileTask, pages: int | None, left: list[str]) -> str | None:
    """The local run's warning (``docclean.leftover.message``) about the files ``left`` beside the
    target, named as the user named the output."""
    from docclean import leftover

    if not left or pages is None:
        return None
    named = [storage.location(carryover.sibling(task.target, name)) for name in left]
    return leftover.message(storage.location(task.source), pages, named,  # type: ignore[arg-type]
                            storage.location(task.target))  # type: ignore[arg-type]
