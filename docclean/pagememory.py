"""How large a page the machine can clean now: the page-size limit (``--max-pixels``) lowered to
what fits in the memory available, read from ``/proc/meminfo`` (Linux; elsewhere the limit stands).
Planning asks it for every file, the reader for every page."""

from __future__ import annotations

import time

#: Peak memory of cleaning one page, measured with ``docclean clean`` on 9, 36 and 72 MP pages
#: (docs/promises.md): about 0.45 GB plus 16 bytes per page pixel in an earlier measurement (0.26 GB
#: plus 14 since one tile per call), kept as the larger; 20 leaves room for colour.
BASE_BYTES, BYTES_PER_PIXEL = 450_000_000, 20


#: How long a reading of the memory available stands: planning asks once a file, 100,000 files a run.
MEMORY_READ_SECONDS = 0.5
_memory_read: tuple[float, int | None] = (-MEMORY_READ_SECONDS, None)


def memory_pixel_limit() -> int | None:
    """The largest page (in pixels) that fits in the memory available now (read at most every
    :data:`MEMORY_READ_SECONDS`), or None if unknown."""
    global _memory_read
    now = time.monotonic()
    if now - _memory_read[0] >= MEMORY_READ_SECONDS:
        _memory_read = (now, _read_memory_pixel_limit())
    return _memory_read[1]


def _read_memory_pixel_limit() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    return max(1_000_000, (available - BASE_BYTES) // BYTES_PER_PIXEL)
    except (OSError, ValueError, IndexError):
        pass
    return None


def pixel_limit(max_pixels: int) -> int:
    """``max_pixels``, lowered to what fits in the memory available now."""
    fits = memory_pixel_limit()
    return max_pixels if fits is None else min(max_pixels, fits)
