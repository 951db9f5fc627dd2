"""What the hot folder (:mod:`docclean.watch`) keeps about each file: the outcome of handling it
(:class:`WatchOutcome`, one log line) and the record of files left in the input folder
(:class:`Ledger`, ``OUTPUT/.docclean-watch.json``), so a restart does not redo them. An input's
outputs on disk are :mod:`docclean.watchoutputs`'; which earlier input an output stands for, so
two scans never share one output, is :func:`docclean.watchfolders.output_owner`'s."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docclean.atomic import atomic_path
from docclean.errors import output_error
from docclean.fileid import file_version

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
    kept: list[Path] = field(default_factory=list)
    """A failed scan's: the outputs of an earlier scan of its name, left as they were."""

    def summary(self) -> str:
        """One line for a log: what came in, what went out, where the input went."""
        where = f"; moved to {self.moved_to}" if self.moved_to else ""
        if self.status == "failed":
            error = self.error or "failed"
            said = error if error.startswith(str(self.source)) else f"{self.source}: {error}"
            kept = ", ".join(str(t) for t in self.kept[:3]) + (" ..." if len(self.kept) > 3 else "")
            return f"failed {said}{where}" + (f"; the earlier scan's output stays: {kept}" if kept else "")
        outs = ", ".join(str(t) for t in self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        note = f"; {self.error}" if self.error else ""
        pages = f"{self.pages} page{'' if self.pages == 1 else 's'}"
        return f"{self.status} {self.source} -> {outs} ({pages}, {self.seconds:.1f} s){where}{note}"


class Ledger:
    """Files left in the input folder that were handled: ``{relative path: size, mtime, status...}``,
    kept in the output folder and written after every file.

    The file is a journal: its first line holds every entry (``{"files": {...}}``), each later
    line one change (``{"set": KEY, "entry": {...}}`` or ``{"forget": [KEY, ...]}``), appended and
    fsynced. An inbox that keeps its scans in place records every one it ever cleaned, and
    rewriting the whole record after each file cost seconds per file at 100,000 files; the journal
    is rewritten whole, atomically, only once it holds more changes than entries. A line cut short
    by a crash is ignored: a damaged record only costs redoing files."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self.renamed: dict[str, str] = {}
        """Inputs that :func:`~docclean.watchfolders.move_aside` moved under another name (the
        name was taken in done/): where each lies now -> its name in the input folder."""
        self._changes = 0  # lines after the first in the file
        self._rewrite = False  # the file must be written whole at the next change
        self._by_output: dict[str, set[str]] = {}
        try:
            self._load(path.read_text())
        except (OSError, UnicodeDecodeError):
            pass  # none yet, or unreadable: start afresh
        for key, entry in self.entries.items():
            self._index(key, entry)

    def _load(self, text: str) -> None:
        lines = text.splitlines()
        for number, line in enumerate(lines):
            try:
                item = json.loads(line)
            except ValueError:
                if number == 0:  # a record of an earlier version: one JSON document over many lines
                    try:
                        self.entries = dict(json.loads(text).get("files", {}))
                    except (ValueError, AttributeError):
                        pass
                    self._rewrite = True  # in the journal's form at the next change
                    return
                continue
            if not isinstance(item, dict):
                continue
            if number == 0:
                files, renamed = item.get("files"), item.get("renamed")
                self.entries = dict(files) if isinstance(files, dict) else {}
                self.renamed = dict(renamed) if isinstance(renamed, dict) else {}
            elif isinstance(item.get("renamed"), str):
                if isinstance(item.get("name"), str):
                    self.renamed[item["renamed"]] = item["name"]
                else:
                    self.renamed.pop(item["renamed"], None)
            elif isinstance(item.get("set"), str) and isinstance(item.get("entry"), dict):
                self.entries[item["set"]] = item["entry"]
            elif isinstance(item.get("forget"), list):
                for key in item["forget"]:
                    self.entries.pop(key, None)
        self._changes = max(0, len(lines) - 1)
        self._rewrite = not text.endswith("\n")  # a line cut short: the next one must not join it

    def _index(self, key: str, entry: dict[str, Any]) -> None:
        for target in _outputs(entry):
            self._by_output.setdefault(str(Path(target)), set()).add(key)

    def _unindex(self, key: str) -> None:
        for target in _outputs(self.entries.get(key, {})):
            keys = self._by_output.get(str(Path(target)))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_output[str(Path(target))]

    def handled(self, key: str, signature: tuple[int, int], path: Path | None = None) -> bool:
        """True when ``key`` was handled with this (size, mtime_ns). A file that failed counts as
        handled only while its inode change time (``path``'s) stays as it was too: permissions
        fixed with chmod change no size or mtime, and the file must then be tried again."""
        entry = self.entries.get(key)
        if entry is None or (entry.get("size"), entry.get("mtime_ns")) != signature:
            return False
        if entry.get("status") != "failed" or entry.get("ctime_ns") is None or path is None:
            return True
        return _ctime(path) == entry["ctime_ns"]

    def record(self, key: str, signature: tuple[int, int], outcome: WatchOutcome, path: Path | None = None) -> None:
        """Remember ``outcome`` for the file ``key`` as it is now (``path``: the file, whose change
        time a failure keeps), and save. When it cannot be saved (DiskFullError for a full disk or
        quota, else OutputError), the record in memory stays as it was too: it said the scan was
        handled, so a watcher that waited for space never cleaned again the scan whose try was undone."""
        entry: dict[str, Any] = {"size": signature[0], "mtime_ns": signature[1], "status": outcome.status,
                                 "targets": [str(t) for t in outcome.targets], "error": outcome.error,
                                 "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if outcome.kept:
            entry["kept"] = [str(t) for t in outcome.kept]
        if outcome.status == "failed" and path is not None:
            entry["ctime_ns"] = _ctime(path)
        earlier = self.entries.get(key)
        self._unindex(key)
        self.entries[key] = entry
        self._index(key, entry)
        try:
            self._save({"set": key, "entry": entry})
        except BaseException:  # Ctrl-C or SIGTERM mid-write too: the try is undone, so it is not handled
            self._unindex(key)
            if earlier is None:
                del self.entries[key]
            else:
                self.entries[key] = earlier
                self._index(key, earlier)
            raise

    def prune(self, present: set[str], unlisted: Iterable[str] = ()) -> None:
        """Forget files that are no longer in the input folder and whose outputs are gone too: an
        output whose input was deleted stays owned by it, so that a later scan of the same name
        and another type does not replace it (``watchfolders.output_owner``). Files under a folder that
        cannot be listed right now (``unlisted``, relative paths) are kept: they may well be there."""
        hidden = tuple(f"{folder}/" for folder in unlisted)
        gone = sorted(key for key in set(self.entries) - present if not key.startswith(hidden)
                      and not any(Path(t).exists() for t in _outputs(self.entries[key])))
        if gone:
            for key in gone:
                self._unindex(key)
                del self.entries[key]
            self._save({"forget": gone})

    def moved(self, where: Path, name: str) -> None:
        """Remember, before the move, that the input moved to ``where`` (in done/ or failed/) was
        called ``name`` in the input folder, when that is not ``where``'s name; a file moved to
        ``where`` under its own name ends an earlier note for that place. Judged by its new name,
        ``scan.png`` moved to ``done/scan-1.png`` seemed to own ``OUT/scan-1.pdf``, not ``OUT/scan.pdf``
        (so too after a stop between a move and a note made after it)."""
        if where.name != name:
            self.renamed[str(where)] = name
        elif self.renamed.pop(str(where), None) is None:
            return
        self._save({"renamed": str(where), "name": None if where.name == name else name})

    def name_in_inbox(self, where: Path) -> str:
        """The name the input now at ``where`` had in the input folder (see :meth:`moved`)."""
        return self.renamed.get(str(where), where.name)

    def owner(self, output: Path, other_than: str) -> str | None:
        """The file other than ``other_than`` whose recorded outputs include ``output`` (a failed
        file owns none of its own, as for ``watchfolders.output_owner``, only the earlier scan's outputs
        that it left as they were: ``kept``), or None."""
        name = str(Path(output))
        for key in sorted(self._by_output.get(name, ())):
            entry = self.entries[key]
            if key != other_than and (entry.get("status") != "failed"
                                      or name in {str(Path(t)) for t in entry.get("kept", [])}):
                return key
        return None

    def outputs(self, key: str) -> list[Path]:
        """The outputs recorded for ``key``: its own, and those of an earlier scan it kept."""
        return [Path(t) for t in _outputs(self.entries.get(key, {}))]

    def _save(self, change: dict[str, Any]) -> None:
        try:
            self._write(change)
        except OSError as exc:
            self._rewrite = True  # an append may have left part of a line, which the next one would join
            raise output_error("cannot write the hot folder's record", exc, self.path) from None

    def _write(self, change: dict[str, Any]) -> None:
        if self._rewrite or self._changes >= max(100, len(self.entries)) or not self.path.exists():
            # Notes of moved inputs no longer there go (a stat each, once per rewrite); not this one: its move follows.
            self.renamed = {where: name for where, name in self.renamed.items()
                            if os.path.lexists(where) or where == change.get("renamed")}
            with atomic_path(self.path) as tmp:
                tmp.write_text(json.dumps({"files": self.entries, "renamed": self.renamed}, sort_keys=True) + "\n")
            self._changes, self._rewrite = 0, False
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(change, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._changes += 1


def _outputs(entry: dict[str, Any]) -> list[str]:
    """An entry's outputs on record: its ``targets`` and, for a failed scan, the ``kept`` ones."""
    return [*entry.get("targets", []), *entry.get("kept", [])]


def _ctime(path: Path) -> int | None:
    version = file_version(path)
    return None if version is None else version.ctime_ns
