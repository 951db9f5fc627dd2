"""One scan through the hot folder (:mod:`docclean.watch`): cleaned into the output folder, then
its outcome settled: recorded in the ledger, or the input moved to done/ or failed/.

:class:`ScanHandling` is the part of :class:`~docclean.watch.Watcher` that handles one file the
listing found ready; the watcher finds the files and loops. Each file is one
:class:`~docclean.watchattempt.Attempt`, undone whole when it does not go through: a failed scan
leaves OUT as it was, a scan that changed while it was cleaned is taken again once it settles, and
Ctrl-C, SIGTERM or a full disk leave the scan in IN, unrecorded. Faults of the output stop the
watcher (OUT deleted or replaced under it) or make it wait for space (a full disk or quota, raised
as DiskFullError, however it showed: :func:`disk_full`); faults of the scan fail that scan only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats
from docclean.atomic import atomic_path
from docclean.errors import DiskFullError, DocCleanError, InputError, OutputError, output_error
from docclean.outputs import OutputBusy
from docclean.settings import CleanSettings
from docclean.watchattempt import Attempt
from docclean.watchfolders import move_aside, output_owner
from docclean.watchlisting import file_signature
from docclean.watchoutputs import remove_outputs
from docclean.watchrecord import Ledger, WatchOutcome

if TYPE_CHECKING:
    from docclean.engine import Denoiser
    from docclean.progress import CleanProgress


class ScanHandling:
    """Handling one ready file of the inbox; :class:`~docclean.watch.Watcher` sets the attributes
    below and calls :meth:`_handle` for each file that has settled."""

    inbox: Path
    output: Path
    done: Path | None
    failed: Path | None
    settings: CleanSettings
    cleaner: Denoiser | None
    progress: CleanProgress | None
    on_notice: Callable[[str], None] | None
    ledger: Ledger
    in_hand: Path | None
    _seen: dict[str, tuple[tuple[int, int], float]]
    _busy: bool  # another run holds the output: said once, until a file goes through
    _said: set[str]  # the settings' warnings (binarized into JPEG), said once a watch
    _held: Callable[[], bool] | None  # whether the watch lock still guards OUT (None: not held)

    def _notice(self, text: str) -> None:
        if self.on_notice is not None:
            self.on_notice(text)

    def _check_held(self) -> None:
        """OutputError when OUT was deleted or replaced while the watch lock was held: the lock went
        with it, so another watcher could start on OUT, and writing on would recreate it beside that one."""
        if self._held is not None and not self._held():
            raise OutputError("the output folder was deleted or replaced while the watcher ran; stopping "
                              "(start it again to go on)", self.output)

    def _handle(self, key: str, path: Path, signature: tuple[int, int]) -> WatchOutcome | None:
        """Clean the settled file ``path`` (``key``: relative to the inbox) and settle its outcome;
        None when it was not handled after all (it changed, or another run holds OUT)."""
        self._check_held()  # a batch of ready files takes long: OUT may have gone since the listing
        self.in_hand, seen = path, self._seen.get(key)
        target = self.output / Path(key).with_suffix(formats.output_suffix(path, self.settings.fmt))
        # undone whole if it does not go through; a settle it does of a try cut short is said as at start
        attempt = Attempt(key, target, self.output, self.ledger, self.inbox, self._notice)
        try:
            outcome = self._clean(key, path, target, attempt)
            outcome = None if outcome is None else self._settle(key, path, signature, outcome, attempt)
        except BaseException as exc:  # Ctrl-C, SIGTERM, a full disk: the scan stays in IN, unrecorded
            if not attempt.stopped(path) or isinstance(exc, OutputError):
                self.in_hand = None  # not dropped (gone to done/), or the watcher stops or waits saying why
            if isinstance(exc, DiskFullError):
                exc.held_back = path  # said by Watcher.run, which waits for space to clean it
                if seen is not None:  # still settled: the first one tried once there is space
                    self._seen[key] = seen
            raise
        finally:
            attempt.finish()
        self.in_hand = None
        return outcome

    def _clean(self, key: str, path: Path, target: Path, attempt: Attempt) -> WatchOutcome | None:
        """Clean ``path`` into ``target``'s folder; None when another run holds OUT (it waits)."""
        from docclean.batch import NothingToClean, clean_batch, load_cleaner
        from docclean.filesaid import page_warnings

        if self.cleaner is None:
            self.cleaner = load_cleaner(self.settings)
        start = time.perf_counter()
        try:
            owner = output_owner(key, target, self.ledger, self.inbox, self.done, self.settings.fmt, attempt.before)
            if owner is not None:
                raise InputError(f"its output would replace the cleaned {owner} (same name, another type); "
                                 "rename one of them", path)
            attempt.owned = True
            target.parent.mkdir(parents=True, exist_ok=True)
            attempt.keep()  # page files are written over the earlier scan's one by one
            report = clean_batch([path], target.parent, self.settings, self.progress, cleaner=self.cleaner)
            if report.stopped:  # a full disk while writing: the output's fault, handled below
                raise DiskFullError(report.files[0].error or report.stopped)
            for text in report.warnings:  # about the settings (binarized into JPEG): once a watch
                if text not in self._said:
                    self._said.add(text)
                    self._notice(text)
            result = report.files[0]
            outcome = WatchOutcome(path, "failed" if result.error else result.status, list(result.targets),
                                   result.error, pages=sum(p.status == "cleaned" for p in result.pages),
                                   warnings=[w for p in result.pages for w in page_warnings(p, self.settings)])
        except NothingToClean as exc:
            outcome = WatchOutcome(path, "failed", error="; ".join(exc.problems) or str(exc))
        except OutputBusy as exc:
            # Another run writes to a folder that holds or lies in this one (docclean clean -o OUT):
            # not this scan's fault nor the output's for good. The scan waits in IN and is taken
            # again once it has settled anew; said once while the other run lasts.
            self._seen.pop(key, None)
            if not self._busy:
                self._notice(f"{exc}; {path} waits until it is done")
            self._busy = True
            return None
        except (DocCleanError, OSError) as exc:
            full = disk_full(exc)  # the output's fault, whatever words it came in: the watcher waits for space
            if full is not None and full is not exc:
                raise full from exc
            if isinstance(exc, OutputError):
                raise  # the output's fault (a folder that cannot be made), not the scan's
            outcome = WatchOutcome(path, "failed", error=f"{path}: {exc}" if isinstance(exc, OSError) else str(exc))
        outcome.seconds = time.perf_counter() - start
        return outcome

    def _settle(self, key: str, path: Path, signature: tuple[int, int], outcome: WatchOutcome,
                attempt: Attempt) -> WatchOutcome | None:
        """Record ``outcome`` or move the input aside; a failed scan leaves OUT as it was."""
        # OUT gone while it was cleaned: its pages went into a folder made anew, which no lock guards;
        # the try is undone (by _handle) and the scan stays in IN, unrecorded, as for a full disk.
        self._check_held()
        self._busy = False
        self._seen.pop(key, None)
        earlier = attempt.earlier(moved=self.done is not None or self.failed is not None)
        if file_signature(path) != signature:
            # Deleted while we cleaned it (what we wrote has no input any more), or changed: not
            # finished after all, taken again once it settles. Either way this attempt's pages go:
            # a shorter retake would leave the pages it no longer has in OUT, unrecorded.
            attempt.undo()
            return None
        if outcome.status == "failed":  # to be fixed and dropped again: its pages go, earlier ones stay
            outcome.kept, outcome.targets = [p for p in attempt.undo() if p in earlier], []
        else:  # a re-arrived scan with fewer pages must not leave the others
            remove_outputs([t for t in earlier if t not in outcome.targets], key, self.output, self.ledger)
            attempt.commit()
        relative = Path(key)
        destination = self.failed if outcome.status == "failed" else self.done
        if destination is None:
            self._record(key, signature, outcome, path, attempt)
            return outcome
        try:  # a name taken there: the record notes the name it had in IN first (a stop may follow the move)
            attempt.moving = True
            outcome.moved_to = move_aside(path, destination / relative, lambda to: self.ledger.moved(to, relative.name))
        except OSError as exc:  # cannot move it (permissions, a vanished share): record it instead
            outcome.error = f"{outcome.error + '; ' if outcome.error else ''}could not move it to {destination}: {exc}"
            self._record(key, signature, outcome, path, attempt)
            return outcome
        attempt.settled, self.in_hand = True, None  # gone to done/ or failed/: a stop now drops nothing
        if outcome.status == "failed":
            with atomic_path(outcome.moved_to.with_name(outcome.moved_to.name + ".error.txt")) as tmp:
                tmp.write_text((outcome.error or "failed") + "\n")
        return outcome

    def _record(self, key: str, signature: tuple[int, int], outcome: WatchOutcome, path: Path,
                attempt: Attempt) -> None:
        """Record ``outcome``; from then on a stop undoes nothing and drops no scan."""
        self.ledger.record(key, signature, outcome, path)
        attempt.settled, self.in_hand = True, None


def disk_full(exc: BaseException) -> DiskFullError | None:
    """The DiskFullError that ``exc`` is or stands for: ENOSPC or EDQUOT raised as it is (making OUT's
    subfolder); else None (the engine's own words come as DiskFullError: :func:`~docclean.errors.output_error`).
    Taken for the scan's fault, it sent a good scan to failed/; as another fault of OUT, it stopped the watcher."""
    if isinstance(exc, DiskFullError):
        return exc
    if isinstance(exc, OSError):
        found = output_error("cannot make the output folder", exc, exc.filename)
        return found if isinstance(found, DiskFullError) else None
    return None
