"""The record of a batch (Report, FileResult, PageResult) and the progress protocol of
``docclean.pipeline.run`` (CleanProgress), which the CLI implements with a rich progress bar and a
GUI would implement with Qt signals."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docclean.atomic import atomic_path
from docclean.discover import Job
from docclean.errors import OutputError

CLEANED, SKIPPED, FAILED, WOULD_CLEAN, INTERRUPTED = "cleaned", "skipped", "failed", "would clean", "interrupted"


@dataclass
class PageResult:
    """One page of a file: 0-based ``index``, ``status`` and the seconds it took."""

    index: int
    status: str
    seconds: float = 0.0


@dataclass
class FileResult:
    """What happened to one input file. ``error`` is a one-line reason that names the file."""

    source: Path
    targets: list[Path] = field(default_factory=list)
    status: str = FAILED
    pages: list[PageResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"source": str(self.source), "targets": [str(t) for t in self.targets], "status": self.status,
                "error": self.error, "seconds": round(self.seconds, 4),
                "pages": [{**asdict(p), "seconds": round(p.seconds, 4)} for p in self.pages]}


@dataclass
class Report:
    """The record of a batch, filled by :func:`run` as it goes (so an interrupted run keeps it)."""

    model_name: str | None = None
    model_path: str | None = None
    model_metadata: dict[str, Any] = field(default_factory=dict)
    device: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)
    started: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    seconds: float = 0.0
    interrupted: bool = False

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
        busy = sum(p.seconds for f in self.files for p in f.pages if p.status == CLEANED)
        return self.pages_cleaned / busy if busy > 0 else 0.0

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: model (name, path, architecture, validation metrics), options,
        summary counts and every file with its pages."""
        meta = self.model_metadata
        metrics = meta.get("metrics") or {}
        counts = self.counts()
        return {
            "started": self.started, "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
            "model": {"name": self.model_name, "path": self.model_path, "arch": meta.get("arch"),
                      "config": meta.get("config"), "epoch": meta.get("epoch"),
                      "val_metrics": {k: v for k, v in metrics.items() if k.startswith("val_")},
                      "device": self.device},
            "options": self.options,
            "summary": {"files": len(self.files), **{k.replace(" ", "_"): v for k, v in counts.items()},
                        "pages_cleaned": self.pages_cleaned,
                        "pages_per_second": round(self.pages_per_second, 3)},
            "files": [f.to_json() for f in self.files],
        }

    def write_json(self, path: str | Path) -> None:
        """Write :meth:`to_json` to ``path`` atomically (temporary file beside it, then rename)."""
        try:
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"cannot write the report ({exc.strerror or exc})", path) from None


class CleanProgress:
    """Progress callbacks of :func:`run`; every method is a no-op, override what you need.

    Order: ``on_start`` once, then per file ``on_file_start`` (only for files that get cleaned),
    ``on_page_done`` per cleaned page, ``on_file_done`` (every file, whatever its status), and
    ``on_finish`` once unless the run is interrupted. ``cancelled`` is polled between pages."""

    def on_start(self, files: int, pages: int) -> None:
        """``files`` jobs in all; ``pages`` pages will actually be cleaned (skips excluded)."""

    def on_file_start(self, job: Job, pages: int) -> None:
        """``job`` starts; ``pages`` of its pages will be cleaned."""

    def on_page_done(self, job: Job, index: int, seconds: float) -> None:
        """Page ``index`` (0-based) of ``job`` was cleaned and written in ``seconds``."""

    def on_file_done(self, result: FileResult) -> None:
        """A file finished as cleaned, skipped, failed or would clean."""

    def on_finish(self, report: Report) -> None:
        """The batch is over."""

    def cancelled(self) -> bool:
        """Return True to stop the batch at the next page (raises :class:`Cancelled`)."""
        return False
