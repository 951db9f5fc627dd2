"""What the hot folder (:mod:`docclean.watch`) keeps about each file: the outcome of handling it
(:class:`WatchOutcome`, one log line) and the record of files left in the input folder
(:class:`Ledger`, ``OUTPUT/.docclean-watch.json``), so a restart does not redo them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docclean.atomic import atomic_path

LEDGER_NAME = ".docclean-watch.json"


@dataclass
class WatchOutcome:
    """What happened to one arrived file: ``status`` is ``cleaned``, ``skipped`` or ``failed``."""

    source: Path
    status: str
    targets: list[Path] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    pages: int = 0
    moved_to: Path | None = None
    warnings: list[str] = field(default_factory=list)
    """The ink warnings of its pages, as ``docclean clean`` prints them (``page N: ...``)."""

    def summary(self) -> str:
        """One line for a log: what came in, what went out, where the input went."""
        where = f"; moved to {self.moved_to}" if self.moved_to else ""
        if self.status == "failed":
            error = self.error or "failed"
            said = error if error.startswith(str(self.source)) else f"{self.source}: {error}"
            return f"failed {said}{where}"
        outs = ", ".join(str(t) for t in self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        note = f"; {self.error}" if self.error else ""
        return f"{self.status} {self.source} -> {outs} ({self.pages} page{'' if self.pages == 1 else 's'}, {self.seconds:.1f} s){where}{note}"


class Ledger:
    """Files left in the input folder that were handled: ``{relative path: size, mtime, status...}``,
    kept as JSON in the output folder and rewritten atomically after every file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                self.entries = dict(json.loads(path.read_text()).get("files", {}))
            except (OSError, ValueError, AttributeError):
                self.entries = {}  # a damaged record only costs redoing files

    def handled(self, key: str, signature: tuple[int, int]) -> bool:
        """True when ``key`` was handled with this (size, mtime_ns)."""
        entry = self.entries.get(key)
        return entry is not None and (entry.get("size"), entry.get("mtime_ns")) == signature

    def record(self, key: str, signature: tuple[int, int], outcome: WatchOutcome) -> None:
        """Remember ``outcome`` for the file ``key`` as it is now, and save."""
        self.entries[key] = {"size": signature[0], "mtime_ns": signature[1], "status": outcome.status,
                             "targets": [str(t) for t in outcome.targets], "error": outcome.error,
                             "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        self.save()

    def prune(self, present: set[str]) -> None:
        """Forget files that are no longer in the input folder."""
        gone = set(self.entries) - present
        if gone:
            for key in gone:
                del self.entries[key]
            self.save()

    def save(self) -> None:
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"files": self.entries}, indent=1, sort_keys=True))
