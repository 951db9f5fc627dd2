"""One try of the hot folder (:mod:`docclean.watch`) at cleaning a scan into the output folder,
undone whole when it does not go through.

A try that fails (a corrupt page 3 of 5), is cut short (Ctrl-C, SIGTERM, a full disk) or is
dropped (the scan changed while it was cleaned, or the watcher stopped before the scan was recorded
or moved) must leave OUT as it found it: no page file or work folder that no record accounts for,
and the outputs of an earlier scan of that name, which the user was told about, as they were.
Page files (``scan-p001.png`` with ``--format png``) are written one by one over that earlier
scan's, so :class:`Attempt` keeps the earlier outputs aside first, as hard links (no data copied),
and puts them back when the try is undone.

A try that went through is committed before it is recorded (:meth:`Attempt.commit`: the folder of
copies renamed, atomically, to a name that says so): a watcher killed outright (kill -9, a power
cut) after that must not put the earlier scan's pages back over the newer ones at its next try of
that name, and one killed before it must.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from docclean.atomic import fitting_name
from docclean.outputs import EARLIER_COMMITTED_SUFFIX, EARLIER_SUFFIX
from docclean.watchrecord import Ledger, drop_unfinished, outputs_on_disk


def earlier_folder(target: Path, committed: bool = False) -> Path:
    """The hidden folder beside ``target`` that holds its earlier outputs during a try (once the try
    is ``committed``, the name it is renamed to)."""
    suffix = EARLIER_COMMITTED_SUFFIX if committed else EARLIER_SUFFIX
    return target.parent / f".{fitting_name(target.name, len(suffix))}{suffix}"


def _put_back(folder: Path) -> None:
    """Move the files kept in ``folder`` back to their names beside it, and remove it."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        try:
            os.replace(folder / name, folder.parent / name)
        except OSError:
            pass  # left as the try made it: no worse than without the copy
    shutil.rmtree(folder, ignore_errors=True)


class Attempt:
    """One try at cleaning the input ``key`` into ``target`` (in ``output``, recorded in ``ledger``).

    :attr:`before` lists its outputs on disk before the try (:func:`outputs_on_disk`); :meth:`keep`
    sets them aside, :meth:`undo` drops what the try wrote and puts them back, :meth:`finish`
    forgets the copies. A watcher killed outright (kill -9, a power cut) mid-try leaves the copies
    in :func:`earlier_folder`: the next try of that target puts them back before it looks."""

    def __init__(self, key: str, target: Path, output: Path, ledger: Ledger) -> None:
        self.key, self.target, self.output, self.ledger = key, target, output, ledger
        self.folder, self.committed = earlier_folder(target), earlier_folder(target, committed=True)
        _put_back(self.folder)  # a try killed outright before it went through: undone now
        shutil.rmtree(self.committed, ignore_errors=True)  # one killed after: its copies are stale
        self.before = outputs_on_disk(key, target)
        self.owned = False
        """Whether no other input owns :attr:`before` (:func:`~docclean.watchrecord.output_owner`)."""
        self.cleaning = False  # set by keep(): what is in OUT before it is none of this try's doing
        self.moving = False
        """Set once the input is being moved aside: when it is gone from IN then, it went."""
        self.settled = False
        """Set once the outcome is recorded or the input moved: a stop after that undoes nothing."""

    def keep(self) -> None:
        """Set :attr:`before` aside. Best effort: a file that can be neither linked nor copied (a
        full disk) is not kept, and a failed try leaves its name as the try wrote it."""
        self.cleaning = True
        for path in self.before:
            spare = self.folder / path.name
            try:
                self.folder.mkdir(exist_ok=True)
                try:
                    os.link(path, spare)
                except OSError:
                    shutil.copy2(path, spare)  # a file system without hard links (some SMB shares)
            except OSError:
                Path(spare).unlink(missing_ok=True)

    def earlier(self, moved: bool) -> list[Path]:
        """The outputs of an earlier scan of this name: those on record and, when inputs are
        ``moved`` to done/failed (which leaves no record), what lay in OUT under this scan's names
        before the try, once :attr:`owned` says no other input owns it."""
        return self.ledger.outputs(self.key) + (self.before if moved and self.owned else [])

    def commit(self) -> None:
        """The try went through: rename the folder of the earlier outputs' copies (its committed name), just
        before the outcome is recorded or the input moved. A stop in this process still puts them
        back (:meth:`stopped`) until :attr:`settled`; a watcher killed outright does not."""
        try:
            os.replace(self.folder, self.committed)
        except OSError:
            pass  # no copies (nothing was there before), or none could be made

    def stopped(self, path: Path) -> None:
        """The try was cut short (Ctrl-C, SIGTERM, a full disk) while the input was at ``path``:
        undone unless its outcome was recorded or it was moved already (gone from IN while being
        moved). Between the clean and the record or the move, what it wrote was left in OUT,
        unrecorded; and a stop while the record was written is not a record (B2 of a tester's)."""
        if not self.settled and not (self.moving and not path.exists()):
            self.undo()

    def undo(self) -> list[Path]:
        """Put OUT back as it was before the try: what the try wrote goes (page files, the work
        folder of a multi-page output), the earlier outputs come back. Returns those on disk."""
        if not self.cleaning:  # it wrote nothing; a work folder there is another run's, for it to resume
            return [p for p in self.before if p.exists()]
        drop_unfinished(self.key, self.target, self.before, self.output, self.ledger)
        _put_back(self.folder)
        _put_back(self.committed)
        return [p for p in self.before if p.exists()]

    def finish(self) -> None:
        """Forget the copies (the try went through, or was undone already)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.committed, ignore_errors=True)
