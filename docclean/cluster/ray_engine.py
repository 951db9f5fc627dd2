"""The Ray engine: ``clean_batch_ray`` cleans a batch on a Ray cluster, file by file.

The driver (this process) plans the job exactly like the local runner (discovery, the output's
lock, then what is pending: ``driver``), then hands one file at a time to a pool of actors. Each
actor loads the model once, with ``threads`` CPU threads and ``num_cpus=threads`` (or a GPU, or its
share of one: ``raypool.pool_shape``), and runs the engine's own batch runner on the file
(``unit.clean_file``), so outputs, atomic writes, resume and error reasons are the local engine's.
Each actor has at most three files in flight while the queue holds enough for every actor (so it
never waits for the driver), and one at a time once fewer are left, so the last files, or a small
batch, spread over all the actors, one that comes up late included: no file waits behind a slow
one for long and a dead actor takes little work with it.

- **Progress**: actors send their ``on_file_start``/``on_page_done``/``on_warning`` events to a
  small hub actor; the driver drains it five times a second and replays the events on the caller's
  ``CleanProgress`` (so ``cli/clean_view.py`` shows pages/s across the cluster). Ray's start-up
  (``ray.init``, then the actors until one has loaded the model: seconds) is told to the progress
  (``CleanProgress.on_engine_starting``/``on_engine_started``), and ``report.seconds`` begins after it, so the
  rate is the cluster's cleaning, not its start.
- **Failures**: a bad file fails alone, as locally. When an actor dies (killed, out of memory, node
  lost) the file it was cleaning is retried once on another actor (its result then carries a
  warning) and fails with the reason if that dies too; files queued behind it are resubmitted
  freely. A replacement actor is started, up to ``workers`` replacements in all. An error an actor
  raises and survives (``RayTaskError``) fails that file only; a later actor that cannot load the
  model is dropped like a dead one; a dead progress hub stops the progress, not the batch.
- **Cancel**: Ctrl-C, SIGTERM (``Terminated``) or ``progress.cancelled()`` sets a flag in the hub;
  actors see it between tiles, drop the page in hand (the writer removes its temporary file) and
  return the file as interrupted. After a grace period any actor still busy is killed. The report
  keeps what was done and every file an actor had in hand (interrupted when no result came back),
  and a rerun skips what was done. A task cancelled through Ray (``ray.cancel``) stops the run the
  same way, its file interrupted.
- **Report**: ``--report`` is ``clean_batch``'s (``runreport``): written while the batch runs
  (``in_progress``, the files settled so far in input order), and on a resume with the same
  report each skipped file carries the record of the run that cleaned it.

We use plain actors rather than Ray Data's ``map_batches``: files are few and big (one multi-page
PDF can be minutes of work), each needs its own result record, retry policy and page-level
progress, and nothing flows back but a small record, so a dataset pipeline would add start-up
cost and hide the per-file control this job needs (see docs/cluster.md). The actors themselves are
in ``docclean.cluster.actors``; joining Ray and sizing the pool in ``docclean.cluster.raypool``;
the scheduler (:class:`RayBatch`) in ``docclean.cluster.raybatch``.
"""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

from docclean.cluster import driver, runreport
from docclean.cluster.raybatch import RayBatch
from docclean.cluster.raypool import connect, ray_module, require_ray
from docclean.discover import as_inputs
from docclean.errors import Cancelled, stop_word
from docclean.progress import CleanProgress, warn_settings
from docclean.report import Report
from docclean.settings import CleanSettings

__all__ = ["RayBatch", "clean_batch_ray"]


def clean_batch_ray(inputs: list[str | Path], output: str | Path, settings: CleanSettings | None = None,
                    progress: CleanProgress | None = None, *, address: str | None = None,
                    workers: int | None = None, report_path: str | Path | None = None,
                    report: Report | None = None, storage_options: dict[str, Any] | None = None,
                    on_batch: Any = None) -> Report:
    """``clean_batch`` on a Ray cluster: the same inputs (local paths the workers can see, or
    URLs), outputs, settings, skipping, atomic writes, report and exit codes.

    ``address``: None or ``local`` starts Ray on this machine (unless ``RAY_ADDRESS`` is set),
    ``auto`` joins the cluster this machine belongs to, ``ray://HOST:10001`` connects as a client.
    ``workers``: the number of actors (default: one per ``threads`` CPUs, or one per GPU).
    ``on_batch(batch)`` is called with the :class:`RayBatch` once its actors are starting.
    Raises like ``clean_batch``; Ctrl-C, SIGTERM and cancel propagate after the report is written."""
    settings = settings or CleanSettings()
    progress = progress or CleanProgress()
    report = report if report is not None else Report()
    if storage_options is None:
        from docclean.cluster.storage import storage_options_from_env

        storage_options = storage_options_from_env()
    inputs = as_inputs(inputs)
    require_ray()
    found = driver.find_files(inputs, str(output), settings, storage_options)
    runreport.start_report(report, found, inputs, str(output), settings, progress, report_path)
    staging = driver.staging_folder(found)
    running = False  # _run writes the report; a run the lock refuses writes it here, as clean_batch does
    try:
        with driver.output_guard(found, settings):  # before planning, as clean_batch: one run plans the work
            plan = driver.plan_found(found, settings, storage_options, progress)
            running = True
            # A dry run's report is written at the end only, as clean_batch's.
            keeper = runreport.RankedKeeper(report, None if settings.dry_run else report_path, plan)
            try:
                return _run(plan, settings, progress, report, keeper, address=address, workers=workers,
                            storage_options=storage_options, staging=staging, report_path=report_path,
                            on_batch=on_batch)
            finally:
                if staging is not None and plan.tasks:
                    import shutil

                    shutil.rmtree(staging, ignore_errors=True)  # every actor is gone: leftovers of killed ones
    finally:
        if not running and report_path is not None:
            report.write_json(report_path)


def _run(plan: driver.FilePlan, settings: CleanSettings, progress: CleanProgress, report: Report,
         keeper: runreport.RankedKeeper, *, address: str | None, workers: int | None,
         storage_options: dict[str, Any] | None, staging: Path | None, report_path: str | Path | None,
         on_batch: Any) -> Report:
    start = time.perf_counter()
    batch: RayBatch | None = None
    joined = False
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if main else None
    try:
        if plan.tasks:
            progress.on_engine_starting("starting Ray")
            joined = connect(address)
            batch = RayBatch(plan, settings, progress, report, workers=workers, storage_options=storage_options,
                             staging=staging, keeper=keeper)
            if callable(previous):  # the caller handles SIGTERM (the CLI: like Ctrl-C, exit code 143)
                signal.signal(signal.SIGTERM, batch.on_sigterm)
            report.settings = batch.settings.to_dict() | {"model": settings.model}
            if on_batch is not None:
                on_batch(batch)
            progress.on_engine_starting("starting Ray workers")
            batch._wait_for_first_actor()
            # The rate is the cluster's cleaning: Ray's start (about 7 s on one machine) is told apart.
            up = time.perf_counter()
            report.startup_seconds = up - start
            progress.on_engine_started(up - start)
            start = up
        warn_settings(progress, report, settings.binarize, plan.pending_targets)
        progress.on_start(len(plan.slots), plan.pages)
        keeper.begin(plan.slots, start)
        runreport.emit_done(plan, progress, report, keeper)
        if batch is not None:
            batch.run()
        runreport.order_results(report, keeper.rank)
        report.seconds = time.perf_counter() - start
        progress.on_finish(report)
    except (KeyboardInterrupt, Cancelled) as exc:
        if batch is not None:
            batch.cancel()
            runreport.order_results(report, keeper.rank)
        report.interrupted = True
        report.stopped = stop_word(exc)
        raise
    finally:
        report.seconds = time.perf_counter() - start
        if report.stopped:  # the tasks without a result (all of them when Ray had not started)
            runreport.note_not_reached(plan, report, keeper.rank)
        if callable(previous):
            signal.signal(signal.SIGTERM, previous)
        try:
            if batch is not None:
                batch.close()
            if joined:
                ray_module().shutdown()
        finally:
            if report_path is not None:
                report.write_json(report_path)
    return report
