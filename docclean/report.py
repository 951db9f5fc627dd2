"""The record of a batch: Report, FileResult, PageResult, written as JSON with ``--report``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docclean import formats
from docclean.atomic import atomic_path
from docclean.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, OutputError, UsageError
from docclean.places import user_path

if TYPE_CHECKING:
    from docclean.reportcarry import EarlierRecords

CLEANED, SKIPPED, FAILED, WOULD_CLEAN, INTERRUPTED = "cleaned", "skipped", "failed", "would clean", "interrupted"
DISK_FULL = "the disk is full"  # Report.stop_reason of a batch a full disk (or quota) stopped


@dataclass
class PageResult:
    """One page of a file: 0-based ``index``, ``status`` and the seconds it took."""

    index: int
    status: str
    seconds: float = 0.0
    ink_loss: float | None = None
    """Share of the input's dark strokes that cleaning turned into paper (0..1)."""
    show_through: float | None = None
    """With ``remove_show_through``: share of the page's ink that it turned to paper (0..1)."""
    inverted: bool = False
    """The page was cleaned as a negative: light writing on dark paper, turned (docclean.polarity)."""


@dataclass
class FileResult:
    """What happened to one input file. ``error`` is a one-line reason that names the file."""

    source: Path
    targets: list[Path] = field(default_factory=list)
    status: str = FAILED
    pages: list[PageResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    earlier: dict[str, Any] | None = None
    """A skipped file's record from the earlier run that cleaned it, as that run's report held it
    (``started``, ``pages``, ``warnings``; ``docclean.reportcarry``); None for any other file."""

    def to_json(self) -> dict[str, Any]:
        entry = {"source": str(self.source), "targets": [str(t) for t in self.targets], "status": self.status,
                 "error": self.error, "seconds": round(self.seconds, 4), "warnings": self.warnings,
                 "pages": [{**asdict(p), "seconds": round(p.seconds, 4)} for p in self.pages]}
        if self.earlier is not None:  # only where there is one: a million-file report stays its size
            entry["earlier"] = self.earlier
        return entry


@dataclass
class Report:
    """The record of a batch, filled by ``batch.clean_batch`` as it goes (so an interrupted run
    keeps it). ``stopped`` says why a batch ended early (a full disk, interrupted, terminated)."""

    model_name: str | None = None
    model_path: str | None = None
    model_metadata: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    files: list[FileResult] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    seconds: float = 0.0
    startup_seconds: float | None = None
    """An engine's start-up that :attr:`seconds` leaves out (the Ray engine's: ``ray.init`` and the
    first worker's model load); None for the local engine, whose seconds include its model load."""
    interrupted: bool = False
    stopped: str | None = None
    stop_reason: str | None = None
    """Why the batch stopped by itself, in short, for a front end's headline (:data:`DISK_FULL`);
    :attr:`stopped` says it in full. None when it did not (or was interrupted, terminated)."""
    warnings: list[str] = field(default_factory=list)
    """Warnings about the whole run (binarized pages into JPEG); a file's own are in its result."""
    not_reached: list[Path | str] = field(default_factory=list)
    """The inputs a stopped run never reached (interrupted, terminated, a full disk), in input
    order, as the jobs name them (the Ray engine's remote ones are URLs): what a rerun of the same
    command still has to do. Empty when the run ended."""
    in_progress: bool = False
    """True in the report written while the batch runs (``docclean.reportcarry``): it holds the
    files settled so far, and :attr:`not_reached` the rest."""
    earlier: EarlierRecords | None = None
    """The earlier reports' records of this output that this run has not carried into a file's
    :attr:`FileResult.earlier` nor replaced by cleaning the file again (``earlier_files``)."""

    def counts(self) -> dict[str, int]:
        """Number of files per status (all statuses present, zero included)."""
        counts = dict.fromkeys((CLEANED, SKIPPED, FAILED, WOULD_CLEAN, INTERRUPTED), 0)
        for result in self.files:
            counts[result.status] += 1
        return counts

    @property
    def pages_cleaned(self) -> int:
        return sum(p.status == CLEANED for f in self.files for p in f.pages)

    @property
    def pages_per_second(self) -> float:
        """Pages cleaned per second of :attr:`seconds`, the run's wall-clock time as its engine
        measured it (the local engine: from planning the files to the last output written, the
        wait for the model to load included; on a cluster every worker's pages count): the one
        figure the summary line prints beside those seconds and the JSON report holds."""
        return self.pages_cleaned / self.seconds if self.seconds > 0 else 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]

    @property
    def exit_code(self) -> int:
        """0 all cleaned or skipped; 1 some file failed or the batch stopped early (a full disk);
        130 interrupted; 143 terminated (see ``docclean.errors``)."""
        if self.stopped == "terminated":
            return EXIT_TERMINATED
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.failed or self.stopped else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: model (name, path, architecture, validation metrics), settings,
        summary counts, every file with its pages, and the inputs a stopped run never reached."""
        meta = self.model_metadata
        metrics = meta.get("metrics") or {}
        counts = self.counts()
        return {
            "started": self.started, "seconds": round(self.seconds, 3),
            "startup_seconds": None if self.startup_seconds is None else round(self.startup_seconds, 3),
            "interrupted": self.interrupted, "in_progress": self.in_progress,
            "model": {"name": self.model_name, "path": self.model_path, "arch": meta.get("arch"),
                      "config": meta.get("config"), "epoch": meta.get("epoch"),
                      "val_metrics": {k: v for k, v in metrics.items() if k.startswith("val_")},
                      "device": self.device},
            "inputs": self.inputs, "output": self.output, "settings": self.settings, "stopped": self.stopped,
            "warnings": self.warnings,
            "summary": {"files": len(self.files), **{k.replace(" ", "_"): v for k, v in counts.items()},
                        "not_reached": len(self.not_reached), "pages_cleaned": self.pages_cleaned,
                        "pages_per_second": round(self.pages_per_second, 3)},
            "files": [f.to_json() for f in self.files],
            "not_reached": [str(source) for source in self.not_reached],
            "earlier_files": [] if self.earlier is None else self.earlier.to_json(),
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path`` atomically (temporary file beside it, then rename)."""
        try:
            # The same text as json.dumps(indent=2), written in pieces of many chunks: a million-file
            # report (~430 MB, also written while the batch runs) is never held whole as one string
            # and its ~30 million chunks never in one list; as fast as dumps (json.dump, a write per
            # chunk, takes half as long again).
            with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as stream:
                chunks = json.JSONEncoder(indent=2).iterencode(self.to_json())
                while piece := list(islice(chunks, 16384)):
                    stream.write("".join(piece))
                stream.write("\n")
        except OSError as exc:
            raise OutputError(f"cannot write the report ({exc.strerror or exc})", path) from None


def check_report_path(path: str | Path | None) -> None:
    """UsageError, before any work, for a report path that cannot be right: a folder (found only
    after the whole batch otherwise), or a name with an image or PDF ending, which is where a scan
    or a cleaned page is (``--report scans/a.png`` would replace the scan with JSON)."""
    if path is None:
        return
    path = user_path(path)
    if path.is_dir():
        raise UsageError("the report path is a folder; give a file name such as report.json", path,
                         settings=("report",))
    if formats.by_suffix(path) is not None:
        raise UsageError(f"the report is JSON, but its name ends {path.suffix} like a scan or a cleaned page "
                         "(it would replace that file); give a name such as report.json", path,
                         settings=("report",))


def ink_figure(loss: float) -> float:
    """A page's ink-loss figure as the report holds it and the warning rule compares it (4 decimals)."""
    return round(loss, 4)


def ink_warns(loss: float | None, limit: float) -> bool:
    """The ink guard's rule, the same for every face (CLI, report, desktop app): the page's figure
    (:func:`ink_figure`) above ``limit`` (``CleanSettings.ink_warning``)."""
    return loss is not None and ink_figure(loss) > limit


def ink_loss_text(loss: float, limit: float, decimals: int = 0) -> str:
    """The figure in percent with ``decimals`` decimals, or more (up to 2) where fewer would
    contradict the rule: 10.04% against a limit of 10% reads "10%", yet warns."""
    figure = ink_figure(loss)
    for places in range(decimals, 3):
        shown = round(figure * 100, places)
        if (shown > round(limit * 100, 2)) == (figure > limit):
            break
    return f"{figure * 100:.{places}f}%"
