"""Outputs appear whole or not at all: write to a temporary file beside the target, then rename.

``os.replace`` within one folder is atomic, so a reader (or a resumed batch) sees either the old
file, no file, or the complete new one; an interrupted write leaves no half-written target and no
temporary file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder (created if missing); when the block ends
    normally it is renamed onto ``path``, on any exception (Ctrl-C included) it is removed.
    ``suffix`` lets writers that infer a format from the name (matplotlib) see the right one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes private files; outputs get normal permissions
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
