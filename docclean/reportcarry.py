"""A batch's ``--report`` across resumes and kills.

A rerun skips the files whose output is whole. Without this module its report would hold them as
"skipped" with no pages, and every ink-loss figure of the run that cleaned them (the "never lose a
stroke" guard) would be gone once a resumed job rewrote the report. So:

* :func:`load_earlier` reads the report that ``--report`` names, when it is docclean's report of
  the same output, into :class:`EarlierRecords`: for each file it recorded as cleaned (or as
  skipped, carrying such a record) the pages and warnings. A skipped file of this run whose
  targets are the same gets that record as its ``earlier`` field; the records this run neither
  carries nor replaces (files not reached yet, or not among its inputs) stay in the report's
  ``earlier_files``, so that a chain of resumes keeps the first cleaning's record.
* :class:`ReportKeeper` also writes the report while the batch runs (``in_progress``: true), so a
  run killed outright (SIGKILL, the OOM killer, a reboot) leaves one as of its last write.

The cluster engines (``--engine ray``, object storage) use the same two through
``docclean.cluster.runreport``; their outputs may be URLs, which :func:`load_earlier` compares as URLs.

A report that cannot be read, or is another output's or another program's, is not used: the run
then writes its own over it, as before.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from docclean.atomic import remove_temps_of
from docclean.errors import OutputError
from docclean.report import CLEANED, SKIPPED, FileResult, Report

#: Seconds between two writes of a running batch's report, at most (unless :data:`WRITE_SHARE` says wait longer).
WRITE_EVERY = 30.0
#: After a write, wait at least this many times as long as it took: writing stays under ~5% of the run.
WRITE_SHARE = 20

# How every report docclean writes begins (Report.to_json's first key): a file that does not is
# refused without reading it all (the report path may name a large file of another program).
_HEAD = re.compile(rb'\s*\{\s*"started"\s*:')
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class EarlierRecords:
    """The earlier reports' records of files in one output, by source (as the reports name it):
    what a skipped file carries. Each holds the file's targets, relative to the output, and the
    record itself, kept as the JSON held it (``started``, ``pages``, ``warnings``)."""

    def __init__(self, output: str, records: dict[str, tuple[tuple[str, ...], dict[str, Any]]]) -> None:
        self.output = output
        self._records = records

    def settle(self, result: FileResult) -> None:
        """Take a file's result of this run: a skipped file with the same targets carries the
        earlier record (it moves: the report holds it once); a file cleaned again replaces it.
        A failed or interrupted file leaves it: its earlier output is still there."""
        key = str(result.source)
        if result.status == CLEANED:
            self._records.pop(key, None)
        elif result.status == SKIPPED and key in self._records:
            targets, record = self._records[key]
            if targets == tuple(_relative(str(t), self.output) for t in result.targets):
                result.earlier = record
                del self._records[key]

    def to_json(self) -> list[dict[str, Any]]:
        """The records not carried nor replaced, for the report's ``earlier_files``."""
        return [{"source": source, "targets": [_joined(self.output, t) for t in targets], "earlier": record}
                for source, (targets, record) in self._records.items()]


#: A temporary report file older than this was left by a run killed while it wrote its report (a
#: write takes seconds, even for a million files): the next run with that report removes it.
STALE_TEMP_S = 600.0


def remove_stale_report_temps(path: str | Path) -> list[Path]:
    """Remove the temporary files a run killed mid-write left beside the report ``path`` (older
    than :data:`STALE_TEMP_S`: a live run's write is left alone); what was removed."""
    return remove_temps_of(path, STALE_TEMP_S)


def load_earlier(path: str | Path, output: str | Path) -> EarlierRecords | None:
    """The records of the docclean report at ``path`` when it is the report of ``output`` (the
    same name, or a name that resolves to the same place); None when there is none, it cannot be
    read, or it is another output's or another program's file. Never raises: a report that cannot
    be used is one the run overwrites, as it always did."""
    output = str(output)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None  # a pipe or a device (--report /dev/stdout) is never read: it could block
        with open(path, "rb") as stream:
            head = stream.read(256)
            if not _HEAD.match(head):
                return None
            text = (head + stream.read()).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return _index(text, output)
    except Exception:  # whatever is wrong with the file (not JSON, cut short, odd values): not used
        return None


def _index(text: str, output: str) -> EarlierRecords | None:
    """Read the report one file entry at a time, keeping only what a skipped file carries: a
    million-file report (~430 MB of JSON) never becomes one tree of objects."""
    kept = _Kept()
    i = _expect(text, 0, "{")
    while text[i:i + 1] != "}":
        key, i = _DECODER.raw_decode(text, i)
        i = _expect(text, i, ":")
        if key in ("files", "earlier_files"):
            i = _expect(text, i, "[")
            while text[i:i + 1] != "]":
                entry, i = _DECODER.raw_decode(text, i)
                kept.keep(entry, key == "earlier_files")
                i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
                if text[i:i + 1] != "]":
                    i = _expect(text, i, ",")
            i = _expect(text, i, "]")
        else:
            value, i = _DECODER.raw_decode(text, i)
            if key == "output" and not (isinstance(value, str) and _same_place(value, output)):
                return None  # another output's report: its files are not read
            if key in ("started", "output"):
                setattr(kept, key, value)
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
        if text[i:i + 1] != "}":
            i = _expect(text, i, ",")
    # The targets are kept relative to the output as that report named it; this run compares its own
    # relative to its name, so "out" and "/abs/out" match.
    return EarlierRecords(output, kept.records) if kept.output is not None else None


class _Kept:
    """The records read so far. Every page's keys and short values (its status) are shared among
    them: decoded one entry at a time, each page would hold its own copies (twice the memory)."""

    def __init__(self) -> None:
        self.records: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}
        self.started: str | None = None
        self.output: str | None = None
        self._shared: dict[str, str] = {}

    def keep(self, entry: Any, carried: bool) -> None:
        """Index one file entry (of ``files``, or of ``earlier_files`` when ``carried``)."""
        if not isinstance(self.started, str) or not isinstance(self.output, str):
            # Both come before the files in every report docclean writes (its "started" first).
            raise ValueError("not a docclean report: no start or output before its files")
        if not isinstance(entry, dict):
            return
        source, targets, status = entry.get("source"), entry.get("targets"), entry.get("status")
        if not isinstance(source, str) or not isinstance(targets, list) or \
                not all(isinstance(t, str) for t in targets):
            return
        if carried or status == SKIPPED:
            earlier = entry.get("earlier")
            if not isinstance(earlier, dict) or (carried and source in self.records):
                return  # a file entry (written first) is newer than a record carried beside it
            record = {self._share(k): v for k, v in earlier.items()}
        elif status == CLEANED:
            record = {"started": self.started, "pages": entry.get("pages"), "warnings": entry.get("warnings")}
        else:
            return
        pages, warned = record.get("pages"), record.get("warnings")
        record["pages"] = [self._page(page) for page in pages] if isinstance(pages, list) else []
        record["warnings"] = warned if isinstance(warned, list) and warned else ()  # most have none: one shared
        if isinstance(record.get("started"), str):
            record["started"] = self._share(record["started"])
        self.records[source] = (tuple(_relative(t, self.output) for t in targets), record)

    def _page(self, page: Any) -> Any:
        if not isinstance(page, dict):
            return page
        share = self._share
        return {share(k): share(v) if isinstance(v, str) and len(v) <= 32 else v for k, v in page.items()}

    def _share(self, text: str) -> str:
        return self._shared.setdefault(text, text)


def _same_place(earlier: str, output: str) -> bool:
    return earlier == output or _place(earlier) == _place(output)


def _place(output: str) -> str:
    """Where an output name points, for :func:`_same_place`: a local path resolved, a ``file://``
    URL as the path it names (the cluster engines' URL runs: ``docclean.cluster.storage``), any
    other URL as written but for a trailing slash (``s3://b/out/`` is ``s3://b/out``): realpath
    would take ``s3://b/out`` for a relative path and ``file:///srv/out`` for another place
    than ``/srv/out``."""
    if "://" in output:  # only then: the local engine never imports the cluster package
        from docclean.cluster.storage import file_url_path, is_remote

        if is_remote(output):
            local = file_url_path(output)
            if local is None:
                scheme, rest = output.split("://", 1)
                return f"{scheme.lower()}://{rest.rstrip('/')}"
            output = str(local)
    return os.path.realpath(output)


def _sep(output: str) -> str:
    # A URL's targets are joined with "/" (docclean.cluster.remote_discover), on Windows too.
    return "/" if "://" in output else os.sep


def _relative(target: str, output: str) -> str:
    """``target`` relative to the output folder (``.`` for a single-file output), or as it is."""
    if target == output:
        return "."
    prefix = output.rstrip(_sep(output)) + _sep(output)
    return target[len(prefix):] if output and target.startswith(prefix) else target


def _joined(output: str, relative: str) -> str:
    if relative == ".":
        return output
    return output.rstrip("/") + "/" + relative if _sep(output) == "/" else os.path.join(output, relative)


def _expect(text: str, i: int, char: str) -> int:
    """The index after ``char`` at ``i`` (blanks before and after it skipped); ValueError if it is not there."""
    i = _SPACE.match(text, i).end()  # type: ignore[union-attr]
    if text[i:i + 1] != char:
        raise ValueError(f"expected {char!r} at {i}")
    return _SPACE.match(text, i + 1).end()  # type: ignore[union-attr]


class ReportKeeper:
    """Carries the earlier records into a batch's results as they settle, and writes the report
    while the batch runs: after a file settles, when :data:`WRITE_EVERY` seconds have passed since
    the last write (or the start), and at least :data:`WRITE_SHARE` times as long as the last write
    took. The report written then holds the files settled so far (the summary counts those), the
    rest as ``not_reached`` and ``in_progress``: true. ``path`` None writes nothing (a dry run)."""

    def __init__(self, report: Report, path: str | Path | None) -> None:
        self.report, self.path = report, path
        self._jobs: Sequence[Any] = ()
        self._recorded = self._settled = 0
        self._start = self._last = time.perf_counter()
        self._took = 0.0

    def begin(self, jobs: Sequence[Any], start: float) -> None:
        """The batch's planned jobs, in input order (results settle in that order), and its start.
        A job is anything with the ``source`` a report names: a ``discover.Job``, a cluster plan's slot."""
        self._jobs, self._recorded, self._settled = jobs, len(self.report.files), 0
        self._start = self._last = start

    def settled(self, result: FileResult, more: bool = True) -> None:
        """A file's result is final (``docclean.filerun``). ``more``: the batch goes on (False while
        it drains its last files before it ends and writes the report itself)."""
        self._settled += 1
        if self.report.earlier is not None:
            self.report.earlier.settle(result)
        if more and self.path is not None and \
                time.perf_counter() - self._last >= max(WRITE_EVERY, WRITE_SHARE * self._took):
            self.write_now()

    def so_far(self) -> tuple[list[FileResult], list[Any]]:
        """The files settled so far and the inputs not settled yet (``not_reached``), in input
        order, for the report written while the batch runs. Here results settle in input order;
        an engine whose results come in any order says it otherwise (the Ray engine's
        ``docclean.cluster.runreport.RankedKeeper``)."""
        return (self.report.files[:self._recorded + self._settled],
                [job.source for job in self._jobs[self._settled:]])

    def write_now(self) -> None:
        """Write the report as of now, marked unfinished. A write that fails is left to the final
        one, which says why (the run is not stopped for its report)."""
        assert self.path is not None
        began = time.perf_counter()
        files, not_reached = self.so_far()
        snapshot = replace(self.report, files=files, seconds=began - self._start, in_progress=True,
                           not_reached=not_reached)
        try:
            snapshot.write_json(self.path)
        except OutputError:
            pass
        self._last = time.perf_counter()
        self._took = self._last - began
