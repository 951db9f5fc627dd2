"""Helpers shared by the hot-folder tests (``test_watch*.py``): a fake clock, tiny scans (PNG,
multi-page TIFF, a TIFF with a corrupt page), a watcher on the tiny model, settling steps, OUT's
files, and SIGTERM stand-ins for the steps a watcher takes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docclean.settings import CleanSettings
from docclean.watch import LEDGER_NAME, Watcher
from docclean.watchrecord import WatchOutcome


class Clock:
    """A monotonic clock that moves only when a test moves it (``clock.now += 3``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def png_bytes(seed: int = 0, size: tuple[int, int] = (48, 40)) -> bytes:
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, size, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def make(inbox: Path, out: Path, model: Path, clock: Clock, fmt: str | None = None,  # type: ignore[no-untyped-def]
         **kw) -> Watcher:
    settings = CleanSettings(model=str(model), device="cpu", threads=1, fmt=fmt)
    return Watcher(inbox, out, settings, settle=2.0, clock=clock, **kw)


def moved_aside(inbox: Path, moved: bool) -> dict[str, Path | None]:
    """``done`` and ``failed`` folders beside the inbox when ``moved``, else none (inputs stay)."""
    return {"done": inbox.parent / "done" if moved else None, "failed": inbox.parent / "failed" if moved else None}


def settled(watcher: Watcher, clock: Clock) -> list[WatchOutcome]:
    """What the watcher handles once the files it sees have settled (2 s)."""
    watcher.poll_once()
    clock.now += 3
    return watcher.poll_once()


def settle(watcher: Watcher, clock: Clock) -> list[str]:
    """The statuses of :func:`settled`'s outcomes."""
    return [o.status for o in settled(watcher, clock)]


def tiff_bytes(pages: int, seed: int = 0) -> bytes:
    frames = [Image.fromarray(np.random.default_rng(seed + i).integers(0, 256, (40, 32), dtype=np.uint8))
              for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    return buf.getvalue()


def bad_page_tiff(pages: int, bad: int, seed: int = 0) -> bytes:
    """A TIFF of ``pages`` pages whose page ``bad`` (0-based) cannot be decoded: its deflated strip
    overwritten with bytes that are no zlib stream. Pillow reads the pages before it, then raises."""
    frames = [Image.fromarray(np.random.default_rng(seed + i).integers(0, 256, (40, 32), dtype=np.uint8))
              for i in range(pages)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    data = bytearray(buf.getvalue())
    with Image.open(io.BytesIO(bytes(data))) as im:
        im.seek(bad)
        offset, length = im.tag_v2[273][0], im.tag_v2[279][0]  # StripOffsets, StripByteCounts
    data[offset:offset + length] = b"\xff" * length
    return bytes(data)


def out_files(out: Path) -> dict[str, bytes]:
    """What OUT holds besides the watcher's record and lock, hidden work folders included."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in (LEDGER_NAME, ".docclean-watch.lock")}


def sigterm(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Stands in for a step the watcher takes: SIGTERM arrives right there."""
    from docclean.errors import Terminated

    raise Terminated("terminated (SIGTERM)")


def moved_then_stopped(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Stands in for ``move_aside``: the scan is moved, and SIGTERM arrives just after."""
    from docclean.watchfolders import move_aside

    move_aside(*args, **kwargs)
    sigterm()


def stopped_when_settled(watcher: Watcher, clock: Clock) -> None:
    """Let the files settle; the watcher must stop with SIGTERM's Terminated on the way."""
    from docclean.errors import Terminated

    watcher.poll_once()
    clock.now += 3
    with pytest.raises(Terminated):
        watcher.poll_once()
