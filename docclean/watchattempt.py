"""One try of the hot folder (:mod:`docclean.watch`) at cleaning a scan into the output folder,
undone whole when it does not go through, even by the next watcher when this one was killed.

A try that fails (a corrupt page 3 of 5), is cut short (Ctrl-C, SIGTERM, a full disk) or is
dropped (the scan changed while it was cleaned, or the watcher stopped before the scan was recorded
or moved) must leave OUT as it found it: no page file or work folder that no record accounts for,
and the outputs of an earlier scan of that name, which the user was told about, as they were.
Page files (``scan-p001.png`` with ``--format png``) are written one by one over that earlier
scan's, so :class:`Attempt` keeps the earlier outputs aside first, as hard links (no data copied),
in a hidden folder beside them (:func:`earlier_folder`), and puts them back when the try is undone.
The try does not begin unless all of them were set aside (:meth:`Attempt.keep`).

The folder also holds a note of the try (:data:`TRY_NOTE`: its input, its target and what was set
aside), written once everything is set aside and before anything is cleaned. A watcher killed
outright (kill -9, a power cut) leaves the folder behind, and the next one settles it when it
starts (:func:`settle_folder`, from :func:`docclean.watchfolders.settle_interrupted`), whether or
not the scan is still in IN: what the killed try wrote goes, the earlier outputs come back. A
try that went through is committed before it is recorded (:meth:`Attempt.commit`: the folder
renamed, atomically, to a name that says so): a watcher killed after that must not put the
earlier scan's pages back over the newer ones, and one killed before it must.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from docclean.errors import OutputError, output_error
from docclean.outputs import (
    EARLIER_COMMITTED_SUFFIX,
    TRYING,
    OutputBusy,
    earlier_folder,
    list_folder,
    output_lock,
    stale_temps,
)
from docclean.watchoutputs import discard, drop_unfinished, outputs_on_disk, unfinished
from docclean.watchrecord import Ledger

TRY_NOTE = ".docclean-try.json"
"""The note of the try in :func:`earlier_folder` (hidden: an output's name never begins with a dot)."""


def _kept(folder: Path) -> list[str] | None:
    """The names of the copies kept in the set-aside ``folder`` (its note is hidden); None for a
    link in its place (never followed) or a folder that cannot be listed."""
    if folder.is_symlink():
        return None
    try:
        return sorted(n for n in os.listdir(folder) if not n.startswith("."))
    except OSError:
        return None


def _put_back(folder: Path, names: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Move the files kept in ``folder`` (``names``: :func:`_kept`'s, when the caller has them)
    back to their names beside it, and remove it (the note of the try with it); returns where they
    went, and a line for each that could not go back (a folder that cannot be written): then the
    folder stays, holding the only copy of it, and the next start tries again. A link in place of
    the folder is removed, never followed."""
    if folder.is_symlink():
        folder.unlink(missing_ok=True)
        return [], []
    names = _kept(folder) if names is None else names
    if names is None:
        return [], []
    back, failed = [], []
    for name in names:
        kept, place = folder / name, folder.parent / name
        try:
            os.replace(kept, place)
            if kept.exists():  # two names of one file (a link the try never replaced): rename does nothing
                kept.unlink()
            back.append(place)
        except OSError as exc:
            failed.append(f"{place} ({exc.strerror or exc})")
    if not failed:
        shutil.rmtree(folder, ignore_errors=True)
    return back, failed


def holds_copies(folder: Path) -> bool:
    """Whether the set-aside ``folder`` holds copies of earlier outputs (not only the note of a try)."""
    return bool(_kept(folder))


def _listed(paths: list[Path]) -> str:
    return ", ".join(str(p) for p in paths[:3]) + (" ..." if len(paths) > 3 else "")


def _read_note(folder: Path) -> tuple[str, str, list[str]] | None:
    """The input, target name and kept names in ``folder``'s note of the try; None when it has no
    whole note (killed while setting the outputs aside, or a folder of an earlier version)."""
    try:
        note = json.loads((folder / TRY_NOTE).read_text())
        key, name, kept = note["key"], note["target"], note["kept"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(key, str) and isinstance(name, str) and isinstance(kept, list)) or Path(name).name != name \
            or name.startswith(".") or not name or earlier_folder(folder.parent / name) != folder:
        return None  # not this folder's own output's name: nothing is removed by it
    return key, name, [str(n) for n in kept]


def settle_folder(folder: Path, output: Path, ledger: Ledger, inbox: Path | None = None,
                  say: Callable[[str], None] | None = None) -> None:
    """Undo the try whose set-aside ``folder`` (:func:`earlier_folder`, not committed) a watcher
    killed outright left behind: what it wrote goes, as :meth:`Attempt.undo` does (files of its
    target that were not set aside and that no other input on record owns, its work folder, and
    the temporary files of writers that are gone), and the earlier outputs come back. Without a
    whole note (killed while it set them aside, before it cleaned anything) the kept files are
    only put back. Says through ``say`` (the scan named under ``inbox``) what will be restored and
    removed before anything is (killed meanwhile, the next start says it again; said afterwards, a
    kill in between left the settle unsaid), then any copy that could not go back. Nothing to settle: nothing said."""
    note, kept = _read_note(folder), _kept(folder)
    tell = say if say is not None else (lambda line: None)
    removing: list[Path] = []
    if note is not None:
        entries = list_folder(folder.parent)  # one listing of the outputs' folder for both questions
        target, before = folder.parent / note[1], [folder.parent / n for n in note[2]]
        # and the page it was writing when killed (a writer process that is gone: no other run's)
        removing = unfinished(note[0], target, before, output, ledger, [e.name for e in entries]) + stale_temps(entries)
    back = [folder.parent / name for name in kept or []]
    what = f"cleaning {inbox / note[0] if inbox else note[0]}" if note is not None else "a try"
    if back or removing:
        tell(f"{what} was cut short when the watcher last ran (killed, or the power went): " + "; ".join(
            ([f"putting back the earlier scan's {_listed(back)}"] if back else [])
            + ([f"removing what it had written ({_listed(removing)})"] if removing else [])))
    discard(removing)
    failed = _put_back(folder, kept)[1]
    if failed:
        tell(f"{what}: could not put back {'; '.join(failed)}: kept in {folder} (the only copy)")


def settle_locked(folders: list[Path], output: Path, ledger: Ledger, inbox: Path | None = None,
                  say: Callable[[str], None] | None = None) -> None:
    """:func:`settle_folder` for each of ``folders`` (a committed one: its stale copies deleted),
    which lie in one folder, under the batch's lock of it: a `docclean clean` writing there must
    not have its pages taken for a killed try's. Each line goes to ``say`` before the settle it
    tells of. OutputBusy while another run holds the folder;
    OutputError when it cannot be made."""
    with output_lock(folders[0].parent, within=[folders[0].parent]):
        for folder in folders:
            if folder.name.endswith(EARLIER_COMMITTED_SUFFIX):
                shutil.rmtree(folder, ignore_errors=True)
            else:
                settle_folder(folder, output, ledger, inbox, say)


class Attempt:
    """One try at cleaning the input ``key`` into ``target`` (in ``output``, recorded in ``ledger``;
    ``inbox`` and ``say``: for the lines of a settle it does first, as :func:`settle_folder`'s).

    :attr:`before` lists its outputs on disk before the try (:func:`outputs_on_disk`); :meth:`keep`
    sets them aside, :meth:`undo` drops what the try wrote and puts them back, :meth:`finish`
    forgets the copies. A watcher killed outright (kill -9, a power cut) mid-try leaves the copies
    in :func:`earlier_folder`, which the next watcher settles at start
    (:func:`~docclean.watchfolders.settle_interrupted`)."""

    def __init__(self, key: str, target: Path, output: Path, ledger: Ledger, inbox: Path | None = None,
                 say: Callable[[str], None] | None = None) -> None:
        self.key, self.target, self.output, self.ledger = key, target, output, ledger
        self.folder, self.committed = earlier_folder(target), earlier_folder(target, committed=True)
        self.busy: OutputBusy | None = None  # another run held the folder: nothing settled, this try waits
        # Settled at start; one missed then (another run held the folder) is settled now, under the
        # batch's lock of the folder; a scan with nothing set aside takes no lock (the usual case).
        # It is said through ``say`` in the start's words (the scan named under ``inbox``): the
        # start promised "settled when that name is cleaned next", and files move meanwhile.
        if os.path.lexists(self.folder) or os.path.lexists(self.committed):
            try:
                settle_locked([self.folder, self.committed], output, ledger, inbox, say)  # committed: stale copies
            except OutputBusy as exc:
                self.busy = exc
            except OutputError:
                pass  # the folder cannot be made: the try fails on it, saying why
        self.before = outputs_on_disk(key, target)
        self.owned = False
        """Whether no other input owns :attr:`before` (:func:`~docclean.watchfolders.output_owner`)."""
        self.cleaning = False  # set by keep(): what is in OUT before it is none of this try's doing
        self.moving = False
        """Set once the input is being moved aside: when it is gone from IN then, it went."""
        self.settled = False
        """Set once the outcome is recorded or the input moved: a stop after that undoes nothing."""

    def keep(self) -> None:
        """Set :attr:`before` aside, then write the note of the try. OutputError (DiskFullError for a
        full disk or quota) naming the file when one can be neither linked nor copied, or the
        note cannot be written: nothing is left set aside, OUT is as it was and the try does not
        begin (a file written over without a copy could not be put back)."""
        if self.busy is not None:
            raise self.busy
        if holds_copies(self.folder):  # never written over: a copy there may be the only one left
            raise OutputError("holds earlier outputs of this name that a try cut short could not put back; "
                              "move them back into the folder above it by hand, then start again", self.folder)
        where = self.folder
        TRYING.add(self.folder)  # this process's clean of the name must not take it for a killed try's
        try:
            self.folder.mkdir(exist_ok=True)
            for path in self.before:
                where = path
                try:
                    os.link(path, self.folder / path.name)
                except FileExistsError:
                    raise
                except OSError:
                    shutil.copy2(path, self.folder / path.name)  # a file system without hard links (some SMB shares)
            where = self.folder / TRY_NOTE  # last: a whole note says that everything was set aside
            where.write_text(json.dumps({"key": self.key, "target": self.target.name,
                                         "kept": [p.name for p in self.before]}) + "\n")
        except OSError as exc:
            shutil.rmtree(self.folder, ignore_errors=True)  # links and copies only: the outputs stay
            what = "write the note of the try" if where.name == TRY_NOTE else "set this output aside"
            raise output_error(f"cannot {what} before its scan is cleaned again", exc, where) from None
        self.cleaning = True

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
            pass  # no folder (the try was undone); the next start settles it otherwise

    def stopped(self, path: Path) -> bool:
        """The try was cut short (Ctrl-C, SIGTERM, a full disk) while the input was at ``path``:
        undone unless its outcome was recorded or it was moved already (gone from IN while being
        moved). Between the clean and the record or the move, what it wrote was left in OUT,
        unrecorded; and a stop while the record was written is not a record (B2 of a tester's).
        Returns whether it was undone: the scan was dropped, and is taken again at the next start."""
        if self.settled or (self.moving and not path.exists()):
            return False
        self.undo()
        return True

    def undo(self) -> list[Path]:
        """Put OUT back as it was before the try: what the try wrote goes (page files, the work
        folder of a multi-page output), the earlier outputs come back. Returns those on disk."""
        if not self.cleaning:  # it wrote nothing; a work folder there is another run's, for it to resume
            return [p for p in self.before if p.exists()]
        drop_unfinished(self.key, self.target, self.before, self.output, self.ledger)
        _put_back(self.folder)  # what cannot go back stays there, for the next start
        _put_back(self.committed)
        return [p for p in self.before if p.exists()]

    def finish(self) -> None:
        """Forget the copies (the try went through, or was undone already), except copies an undo
        could not put back: the only ones left, for the next start to put back."""
        if not holds_copies(self.folder):
            shutil.rmtree(self.folder, ignore_errors=True)
        shutil.rmtree(self.committed, ignore_errors=True)
        TRYING.discard(self.folder)
