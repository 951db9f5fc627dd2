"""What the file system says about a path beyond its name: which folder it really is, how the
output volume compares names, how long a name it takes.

* :func:`user_path`: ``~`` and ``~user`` expanded only where they name a home folder; a file
  really called ``~$budget.png`` (an office program's lock file) is taken as it is.
* :func:`folder_id` and :func:`same_folder`: a folder's identity, its device and inode, so that a
  bind mount or another spelling on a case-insensitive volume (``Scans`` and ``scans``) is the
  same folder; ``os.path.realpath`` sees only symbolic links.
* :func:`folding` asks the output volume once whether it folds case (macOS, exFAT, SMB) or
  Unicode normalisation (``café`` in NFC and NFD), and :class:`Folding` keys names the way it
  compares them: two outputs that differ only so are one file there.
* :func:`name_too_long`: a plain reason for a name the file system cannot take.
"""

from __future__ import annotations

import os
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["Folding", "folder_id", "folding", "name_too_long", "same_folder", "user_path"]


def user_path(item: str | os.PathLike) -> Path:
    """``item`` as a path, with a leading ``~`` or ``~user`` expanded where it names a home folder.
    A path that exists as given, or whose ``~`` names no home, is taken as given: the shell has
    expanded what the user meant already, so a ``~`` that reaches us is part of a name
    (``Path.expanduser`` raised "Could not determine home directory" for ``~$budget.png``)."""
    text = os.fsdecode(item)
    if not text.startswith("~") or os.path.lexists(text):
        return Path(text)
    return Path(os.path.expanduser(text))  # unchanged when the home cannot be found; never raises


def folder_id(path: str | os.PathLike) -> tuple[int, int] | None:
    """The (device, inode) of what ``path`` names, links followed; None when it cannot be asked."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def same_folder(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether ``a`` and ``b`` name one folder: one resolved path, or, where both exist, one
    device and inode (a bind mount, ``Scans`` against ``scans`` on a case-insensitive volume)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    ids = folder_id(a), folder_id(b)
    return ids[0] is not None and ids[0] == ids[1]


@dataclass(frozen=True)
class Folding:
    """How a volume compares names: ``case`` when ``a.png`` and ``A.PNG`` are one file there,
    ``normalization`` when the NFC and NFD spellings of ``café`` are."""

    case: bool = False
    normalization: bool = False

    def key(self, text: str) -> str:
        """``text`` as the volume compares it: names that are one file there get one key."""
        if self.case or self.normalization:
            text = unicodedata.normalize("NFC", text)
        if self.case:
            text = unicodedata.normalize("NFC", text.casefold())
        return text


#: What :func:`folding` answers where it cannot ask: names compared as they are.
EXACT = Folding()

#: The probe's name: a capital letter with a diaeresis, whose lower case and NFD spelling are
#: other names on a volume that compares names exactly.
_PROBE = ".docclean-names-probe-{}-\u00c4"


def folding(folder: Path) -> Folding:
    """Ask the volume ``folder`` is on (or will be made on: its nearest existing folder above)
    how it compares names, by making a hidden empty file there and looking for it under its lower
    case and its NFD spelling; it is removed at once. :data:`EXACT` where nothing can be written."""
    where = _existing(Path(folder))
    name = _PROBE.format(secrets.token_hex(4))
    probe = where / name
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return EXACT
    try:
        case = os.path.lexists(where / name.lower())
        normalization = os.path.lexists(where / unicodedata.normalize("NFD", name))
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass
    return Folding(case=case, normalization=normalization)


def _existing(where: Path) -> Path:
    """The nearest folder at or above ``where`` that exists (a path too long to look at counts as
    not there: ``is_dir`` raises ENAMETOOLONG for it)."""
    while where != where.parent:
        try:
            if where.is_dir():
                return where
        except OSError:
            pass
        where = where.parent
    return where


@lru_cache(maxsize=256)
def _limits(folder: str) -> tuple[int, int]:
    """(the longest name, the longest path) in bytes the file system of ``folder`` takes."""
    where = _existing(Path(folder))
    found = []
    for name, default in (("PC_NAME_MAX", 255), ("PC_PATH_MAX", 4096)):
        try:
            found.append(os.pathconf(where, name))
        except (OSError, ValueError):
            found.append(default)
    return found[0], found[1]


def name_too_long(target: Path) -> str | None:
    """Why ``target``'s name cannot be made in its folder (more bytes than the file system takes,
    or a whole path longer than the system takes), or None. Asked before the name is used: the
    system's own answer was "unexpected error: OSError: [Errno 36] File name too long" from the
    first look for an earlier output."""
    name_max, path_max = _limits(str(target.parent))
    size = len(os.fsencode(target.name))
    if size > name_max:
        return f"the output name would be {size} bytes, more than this file system's {name_max} ({target})"
    return path_too_long(target, "the output path would be")


def path_too_long(path: Path, said: str = "the path is") -> str | None:
    """Why ``path`` is longer than the system takes (its PATH_MAX, which counts the final NUL), or
    None; ``said`` begins the reason."""
    whole, limit = len(os.fsencode(str(path))), _limits(str(path.parent))[1]
    if whole < limit:
        return None
    return f"{said} {whole} bytes, more than the system takes ({limit - 1}); choose an output folder higher up"
