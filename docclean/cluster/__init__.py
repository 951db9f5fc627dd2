"""Cleaning beyond one process: the Ray engine and inputs/outputs in object storage.

- :func:`clean_with_engine` is what ``docclean clean --engine local|ray`` calls when it is not a
  plain local run: the Ray engine (``ray_engine.clean_batch_ray``), or the local engine on URLs
  (``storage_engine.clean_batch_remote``).
- ``driver``: planning (discovery, the output's lock, what is pending), for both engines;
  ``runreport``: their report (a resume's earlier records carried, written while the run goes).
- ``storage``: ``s3://`` and other fsspec URLs (list, download, upload atomically);
  ``remote_discover``: which files a run on URLs has, and where their outputs go.
- ``unit``: one file, the unit of work a worker runs (the engine's own ``clean_batch``).

Importing this package loads neither Ray nor torch; ``pip install 'docclean[ray]'`` adds Ray.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean.cluster.driver import uses_storage

if TYPE_CHECKING:
    from docclean.progress import CleanProgress
    from docclean.report import Report
    from docclean.settings import CleanSettings

ENGINES = ("local", "ray")

__all__ = ["ENGINES", "clean_with_engine", "uses_storage"]


def clean_with_engine(engine: str, inputs: list[str], output: str | Path, settings: CleanSettings,
                      progress: CleanProgress, *, report_path: str | Path | None = None,
                      report: Report | None = None, address: str | None = None, workers: int | None = None,
                      storage_options: dict[str, Any] | None = None) -> Report:
    """Run ``engine`` (``local`` or ``ray``) on inputs and an output that may be URLs."""
    from docclean.discover import as_inputs
    from docclean.report import check_report_path

    check_report_path(report_path)
    inputs = as_inputs(inputs)
    if engine == "ray":
        from docclean.cluster.ray_engine import clean_batch_ray

        return clean_batch_ray(inputs, output, settings, progress, address=address, workers=workers,
                               report_path=report_path, report=report, storage_options=storage_options)
    if engine != "local":
        from docclean.errors import UsageError

        raise UsageError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}", settings=("engine",))
    if uses_storage(inputs, output):
        from docclean.cluster.storage_engine import clean_batch_remote

        return clean_batch_remote(inputs, str(output), settings, progress, report_path=report_path,
                                  report=report, storage_options=storage_options)
    from docclean.batch import clean_batch

    return clean_batch(inputs, Path(output), settings, progress, report_path=report_path, report=report)
