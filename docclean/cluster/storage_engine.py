"""The local engine for inputs or outputs in object storage (``docclean clean s3://... -o ...``).

:func:`clean_batch_remote` is ``clean_batch`` for a run that the local runner cannot do alone: it
plans like it (``driver``: discovery, then the output's lock, then planning) and cleans the files
one after another in this process with one model, each through ``unit.clean_file`` (download,
the engine's own batch runner on the local copy, atomic publish). Ctrl-C and SIGTERM stop it as
they stop ``clean_batch``: the file in hand is reported interrupted, the report says
``interrupted`` or ``terminated`` (exit code 130 or 143), and the exception propagates. Its
``--report`` is ``clean_batch``'s too (``runreport``): written while the run goes, and a resume's
skipped files carry the earlier report's records of them.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from docclean.cluster import driver, runreport, storage
from docclean.cluster.unit import clean_file
from docclean.discover import as_inputs
from docclean.errors import Cancelled, stop_word
from docclean.progress import CleanProgress, warn_settings
from docclean.report import INTERRUPTED, FileResult, Report
from docclean.reportcarry import ReportKeeper
from docclean.settings import CleanSettings


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
    inputs = as_inputs(inputs)
    found = driver.find_files(inputs, str(output), settings, storage_options)
    runreport.start_report(report, found, inputs, str(output), settings, progress, report_path)
    keeper = ReportKeeper(report, None if settings.dry_run else report_path)  # a dry run's: at the end only
    staging = driver.staging_folder(found)
    try:  # the report is written whatever stops the run, a refusal by the output's lock included
        with driver.output_guard(found, settings):
            plan = driver.plan_found(found, settings, storage_options)
            cleaner = load_cleaner(settings) if plan.tasks else None
            if cleaner is not None:
                report.model_path = str(cleaner.model_path) if cleaner.model_path else None
                report.model_metadata = dict(cleaner.metadata)
                report.device = f"{cleaner.backend.name} {cleaner.device} {cleaner.precision}"
            try:
                _run_here(plan, settings, cleaner, progress, report, storage_options, staging, keeper)
            finally:
                if staging is not None and plan.tasks:
                    shutil.rmtree(staging, ignore_errors=True)
    finally:
        if report_path is not None:
            report.write_json(report_path)
    return report


def _run_here(plan: driver.FilePlan, settings: CleanSettings, cleaner: Any, progress: CleanProgress, report: Report,
              storage_options: dict[str, Any] | None, staging: Path | None, keeper: ReportKeeper) -> None:
    start = time.perf_counter()
    recorded = len(report.files)
    keeper.begin(plan.slots, start)  # results settle in input order, as in clean_batch
    try:
        warn_settings(progress, report, settings.binarize, plan.pending_targets)
        progress.on_start(len(plan.slots), plan.pages)
        for slot in plan.slots:
            if progress.cancelled():  # before every file, as clean_batch: a resume may skip them all
                raise Cancelled("cancelled")
            if isinstance(slot, FileResult):
                report.files.append(slot)
                progress.on_file_done(slot)
                keeper.settled(slot)
                continue
            t0 = time.perf_counter()
            try:
                result = clean_file(slot, settings, cleaner, progress, storage_options, staging)
            except (KeyboardInterrupt, Cancelled):  # Ctrl-C or SIGTERM (Terminated): the file in hand
                report.files.append(FileResult(storage.location(slot.source),  # type: ignore[arg-type]
                                               status=INTERRUPTED, error=f"{slot.source}: interrupted"))
                keeper.settled(report.files[-1], more=False)
                raise
            result.seconds = time.perf_counter() - t0
            report.files.append(result)
            progress.on_file_done(result)
            keeper.settled(result, more=result.status != INTERRUPTED)
            if result.status == INTERRUPTED:
                raise Cancelled("cancelled")
        report.seconds = time.perf_counter() - start
        progress.on_finish(report)
    except (KeyboardInterrupt, Cancelled) as exc:
        report.interrupted = True
        report.stopped = stop_word(exc)
        # Files are recorded in input order, so those after the last recorded one were never reached.
        report.not_reached = [slot.source for slot in plan.slots[len(report.files) - recorded:]]
        raise
    finally:
        report.seconds = time.perf_counter() - start
