"""Outputs appear whole or not at all: write to a temporary file beside the target, then rename.

``os.replace`` within one folder is atomic, so a reader (or a resumed batch) sees either the old
file, no file, or the complete new one; an interrupted write leaves no half-written target and no
temporary file behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The longest file name most file systems take, in bytes.
NAME_MAX = 255


def fitting_name(name: str, extra: int) -> str:
    """``name`` as the stem of a hidden helper file or folder beside it (``.NAME<suffix>``) whose
    suffix takes ``extra`` bytes: ``name`` itself when the whole fits in :data:`NAME_MAX` bytes,
    else its start and a digest of all of it (the same name always gets the same one, two names
    with one start get two). A scan whose name is near the limit is cleaned like any other."""
    room = NAME_MAX - 1 - extra
    raw = os.fsencode(name)
    if len(raw) <= room:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return raw[:room - len(digest) - 1].decode("utf-8", "ignore") + "~" + digest


def output_mode() -> int:
    """The permissions of a new output: 0666 less the umask, as ``open`` would give it. A writer
    that puts a file of its own in :func:`atomic_path`'s place (safetensors' ``save_file`` makes a
    new, private one) sets them again with this."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: Characters ``tempfile.mkstemp`` puts between a prefix and a suffix.
_RANDOM = 8


def _temp_prefix(name: str, suffix: str) -> str:
    return f".{fitting_name(name, 1 + _RANDOM + len(os.fsencode(suffix)))}."


def is_temp_of(name: str, target: str | Path, suffix: str = ".tmp") -> bool:
    """Whether the file ``name`` is one of the temporary files :func:`atomic_path` makes beside
    ``target`` (left behind only by a process killed outright mid-write)."""
    prefix = _temp_prefix(Path(target).name, suffix)
    return name.startswith(prefix) and name.endswith(suffix) and len(name) == len(prefix) + _RANDOM + len(suffix)


def remove_temps_of(target: str | Path, older_than: float = 0.0) -> list[Path]:
    """Remove the temporary files :func:`atomic_path` made beside ``target`` that a process killed
    outright mid-write left, those older than ``older_than`` seconds (a live writer's is younger);
    what was removed. Never raises."""
    target, removed = Path(target), []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        try:
            if is_temp_of(entry.name, target) and entry.is_file(follow_symlinks=False) \
                    and now - entry.stat(follow_symlinks=False).st_mtime >= older_than:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass  # gone meanwhile, or not ours to remove
    return removed


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder (created if missing); when the block ends
    normally it is renamed onto ``path``, on any exception (Ctrl-C included) it is removed.
    ``suffix`` lets writers that infer a format from the name (matplotlib) see the right one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=_temp_prefix(path.name, suffix), suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, output_mode())  # mkstemp makes private files; outputs get normal permissions
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
