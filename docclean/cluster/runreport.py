"""The report of a run on the Ray engine or on URLs, from its start to its last write.

Both cluster engines keep their ``--report`` as ``clean_batch`` does, through the same code
(``docclean.reportcarry``): :func:`start_report` reads the earlier report at that path when it is
the report of the same output (a resume's skipped files carry the record of the run that cleaned
them, through any number of resumes; an output URL is compared as a URL), and a
:class:`~docclean.reportcarry.ReportKeeper` takes each result as it settles and writes the report
while the run goes (``in_progress``). The local engine on URLs settles its files in input order,
as ``clean_batch`` does; Ray's results come in any order, so the Ray engine's keeper
(:class:`RankedKeeper`) puts them in input order for each write. The rest puts the results in
the report: those that needed no work (:func:`emit_done`), input order (:func:`order_results`)
and what a stopped run never reached (:func:`note_not_reached`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean.errors import Cancelled
from docclean.progress import CleanProgress, warn_inputs, warn_left_out
from docclean.report import FileResult, Report
from docclean.reportcarry import ReportKeeper, load_earlier, remove_stale_report_temps
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.cluster.driver import FilePlan, Found


def start_report(report: Report, found: Found, inputs: list[str], output: str, settings: CleanSettings,
                 progress: CleanProgress, report_path: str | Path | None = None) -> None:
    """The report's settings, inputs and output, and the warnings before any page that need no
    plan (an input folder's files of other types: ``warn_left_out``; discovery's warnings:
    ``warn_inputs``), in the order ``clean_batch`` says them. With ``report_path``, the earlier
    records of the report there (``reportcarry.load_earlier``: read before anything writes it),
    and the temporary files a run killed while writing it left beside it are removed."""
    if report_path is not None:
        # Compared by the output as the jobs name their targets (found.output), so that the
        # targets of both reports are relative to the same folder or prefix.
        report.earlier = load_earlier(report_path, found.output)
        remove_stale_report_temps(report_path)
    report.settings, report.inputs, report.output = settings.to_dict(), list(inputs), str(output)
    report.model_name = settings.model
    warn_left_out(progress, report, found.left_out, None if report_path is None else Path(report_path))
    warn_inputs(progress, report, found.warned)


class RankedKeeper(ReportKeeper):
    """The Ray engine's :class:`~docclean.reportcarry.ReportKeeper`: its results settle in any
    order, so each write puts the files settled so far in input order by :attr:`rank`
    (``id(result)`` to input position: the batch's, once it has one), and names as not reached
    every input without a result yet, those in an actor's hands included (as ``clean_batch``'s
    write names the files still open)."""

    def __init__(self, report: Report, path: str | Path | None, plan: FilePlan) -> None:
        super().__init__(report, path)
        self.plan = plan
        # id(result) to input position: the results that needed no work now, the workers' as they come
        self.rank = {id(s): i for i, s in enumerate(plan.slots) if isinstance(s, FileResult)}

    def so_far(self) -> tuple[list[FileResult], list[Any]]:
        """The files settled so far, in input order, and the inputs without a result yet."""
        rank = self.rank
        files = sorted(self.report.files, key=lambda f: rank.get(id(f), len(rank)))
        reached = {rank.get(id(f)) for f in files}
        return files, [slot.source for n, slot in enumerate(self.plan.slots) if n not in reached]


def emit_done(plan: FilePlan, progress: CleanProgress, report: Report, keeper: ReportKeeper) -> None:
    """Report the results that needed no work (failed, skipped, would clean), in input order; a
    skipped file gets its earlier record from ``keeper`` (``ReportKeeper.settled``). A cancel is
    asked before each, as ``clean_batch`` asks before every file: a resume may skip them all."""
    for slot in plan.slots:
        if isinstance(slot, FileResult):
            if progress.cancelled():
                raise Cancelled("cancelled")
            report.files.append(slot)
            progress.on_file_done(slot)
            keeper.settled(slot)


def note_not_reached(plan: FilePlan, report: Report, rank: dict[int, int]) -> None:
    """A stopped run's inputs without a result in the report, in input order, into
    ``report.not_reached``: tasks that never ended with one, and results that needed no work the
    run stopped before reporting; ``rank`` maps ``id(result)`` to its input position."""
    reached = {rank[id(f)] for f in report.files if id(f) in rank}
    report.not_reached = [s.source for n, s in enumerate(plan.slots) if n not in reached]


def order_results(report: Report, rank: dict[int, int]) -> None:
    """Put ``report.files`` back in input order (workers finish in any order); ``rank`` maps
    ``id(result)`` to its input position."""
    report.files.sort(key=lambda f: rank.get(id(f), len(rank)))
