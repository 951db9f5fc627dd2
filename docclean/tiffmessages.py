"""libtiff's error messages kept with the page they are about, not printed on the process's stderr.

Pillow decodes compressed TIFF pages (deflate, CCITT group 3 and 4, JPEG-in-TIFF) with libtiff, whose
default error handler prints from C to file descriptor 2: past ``docclean clean -q``, past the
report, nowhere in the desktop app, and without the file's name (with several reader threads, no
telling which file it was about). A damaged group 4 page even decodes "successfully" with its
rows garbled, those lines its only trace. (Pillow silences libtiff's warnings itself: every decode
sets the warning handler to none. It leaves the error handler alone. ``docclean.tiffcheck`` decodes
the pages whose damage libtiff tells by warnings once more, to hear them.)

Which messages are damage is told here: :func:`damage` (pixel data, an allow-list: libtiff warns of
much that is harmless) and :func:`directory_damage` (the chain of pages cannot be followed).

:func:`collected` gathers the messages libtiff gives while a block runs on the calling thread: an
error handler installed once (process-wide, as libtiff has only the one) appends each message to
the list of the thread it runs on (libtiff calls it on the decoding thread; ctypes takes the GIL
for it). A message on a thread that collects nothing goes to libtiff's own handler, as before.
Nothing touches file descriptor 2, so threads reading other files are unaffected.

The handler is installed only where that is known to be sound: Linux on x86-64 or arm64 (where a
``va_list`` argument is passed as a pointer, which glibc's ``vsnprintf`` formats), with exactly one
libtiff loaded (Pillow's). Elsewhere libtiff prints as it always did.
"""

from __future__ import annotations

import ctypes
import functools
import platform
import re
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image  # noqa: F401 - loads Pillow's libtiff, found among the mapped libraries

__all__ = ["DAMAGE", "DIRECTORY_DAMAGE", "Messages", "collected", "damage", "directory_damage", "installed"]

#: Messages kept per block: a damaged group 4 page gives one per bad row (hundreds).
KEPT = 5

#: What libtiff says of pixel data that is damaged: what it decoded is not what was stored. An
#: allow-list, since libtiff warns of much that real scanners' files hold and that costs no pixel
#: (an unknown or private tag, an ASCII tag without its NUL, a tag of the wrong type, tags out of
#: order, ExtraSamples that do not add up, a strip not ended by LZW's EOI code though it holds all
#: its rows): a scan is not doubted for those. Most of these are warnings, which Pillow silences
#: (``docclean.tiffcheck`` decodes such pages again to hear them).
DAMAGE = re.compile("|".join([
    r"Premature EOF at line",  # CCITT: the data ends before the page does (the rows below are blank)
    r"Premature EOL at line",  # CCITT: a row ends early; the rows after it are shifted or garbled
    r"Line length mismatch at line",  # CCITT: a row too long or short: likewise
    r"Bad code word at line",  # CCITT (an error, decoding goes on)
    r"has already been reached \d+ times",  # CCITT: libtiff gave up on the strip
    r"Premature end of JPEG",  # JPEG in TIFF: the data ends early, the rest of the strip is grey
    r"Corrupt JPEG data: (premature end of data segment|bad Huffman code|bad arithmetic code|found marker)",
    r"Not enough data",  # any codec (ThunderScan warns): a strip holds fewer rows than it must
    r"Decoding error", r"Corrupted LZW table", r"Wrong length of decoded string",  # deflate, LZW
]))
#: What libtiff says when it cannot follow a file's chain of page directories: the pages after
#: the break are missing from what Pillow reads.
DIRECTORY_DAMAGE = re.compile("|".join([
    r"Error fetching directory (link|count)", r"Sanity check on directory count failed",
    r"Can not read TIFF directory count", r"[Dd]irectory loop", r"IFD looping",
]))
#: The file name Pillow hands libtiff (it decodes from memory): no name of the user's.
_PILLOW_NAME = "tempfile.tif"
_Handler = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)


@dataclass
class Messages:
    """What libtiff said during a :func:`collected` block: the first :data:`KEPT` messages and how
    many there were in all."""

    first: list[str] = field(default_factory=list)
    count: int = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def summary(self) -> str:
        """The first message, and how many more there were ("" when none)."""
        if not self.first:
            return ""
        more = self.count - 1
        return self.first[0] + (f" (and {more} more message{'s' if more > 1 else ''})" if more else "")


_local = threading.local()
_lock = threading.Lock()
_ready: bool | None = None  # None: not tried yet
_keep: list[object] = []  # the installed callback and its helpers, alive for as long as libtiff may call them


def _loaded_libtiff() -> str | None:
    """The path of the one libtiff this process has loaded (Pillow's), or None (none, or several)."""
    found = set()
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                parts = line.split(maxsplit=5)
                if len(parts) == 6:
                    name = parts[5].strip().rsplit("/", 1)[-1]
                    if name.startswith("libtiff") and ".so" in name:
                        found.add(parts[5].strip())
    except OSError:
        return None
    return found.pop() if len(found) == 1 else None


@functools.cache
def libraries() -> tuple[ctypes.CDLL, ctypes.CDLL] | None:
    """(the libtiff Pillow loaded, libc with ``vsnprintf`` declared) where libtiff's messages can be
    formatted (see the module's docstring), else None. Installs nothing; ``docclean.faxdecode``
    uses them too."""
    if not sys.platform.startswith("linux") or platform.machine().lower() not in ("x86_64", "amd64", "aarch64",
                                                                                    "arm64"):
        return None
    path = _loaded_libtiff()
    if path is None:
        return None
    try:
        libtiff, libc = ctypes.CDLL(path), ctypes.CDLL(None)  # the loaded library itself: same handler
        vsnprintf = libc.vsnprintf
    except (OSError, AttributeError):
        return None
    vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    vsnprintf.restype = ctypes.c_int
    return libtiff, libc


def _install() -> bool:
    """Install the collecting error handler; False where that is not known to be sound."""
    found = libraries()
    if found is None:
        return False
    libtiff, libc = found
    try:
        set_handler, vsnprintf = libtiff.TIFFSetErrorHandler, libc.vsnprintf
    except AttributeError:
        return False
    set_handler.argtypes = [_Handler]
    set_handler.restype = ctypes.c_void_p
    previous: list[_Handler | None] = [None]

    def handler(module: bytes | None, fmt: bytes | None, args: int | None) -> None:
        # Never raises: an exception here could not reach any caller (ctypes would print it).
        try:
            sink: Messages | None = getattr(_local, "sink", None)
            if sink is None:
                if previous[0] is not None:  # libtiff's own handler (stderr), the arguments untouched
                    previous[0](module, fmt, args)
                return
            sink.count += 1
            if len(sink.first) >= KEPT or fmt is None:
                return
            buffer = ctypes.create_string_buffer(512)
            vsnprintf(buffer, len(buffer), fmt, args)
            text = buffer.value.decode("utf-8", "replace").strip()
            name = (module or b"").decode("utf-8", "replace")
            sink.first.append(text if name in ("", _PILLOW_NAME) else f"{name}: {text}")
        except Exception:  # noqa: BLE001, S110 - see above: a message lost is the worst case
            pass

    callback = _Handler(handler)
    _keep.extend([callback, libtiff, libc])
    old = set_handler(callback)
    previous[0] = _Handler(old) if old else None
    return True


def installed() -> bool:
    """Whether libtiff's errors are collected here (installing the handler at the first call)."""
    global _ready
    if _ready is None:
        with _lock:
            if _ready is None:
                _ready = _install()
    return _ready


@contextmanager
def collected() -> Iterator[Messages]:
    """The messages libtiff gives on this thread while the block runs (libtiff's errors only:
    Pillow silences its warnings); empty where they cannot be collected (:func:`installed`)."""
    messages = Messages()
    if not installed():
        yield messages
        return
    outer = getattr(_local, "sink", None)
    _local.sink = messages
    try:
        yield messages
    finally:
        _local.sink = outer


def damage(text: str) -> bool:
    """Whether a message of libtiff's says a page's pixel data is damaged (:data:`DAMAGE`)."""
    return DAMAGE.search(text) is not None


def directory_damage(texts: Iterable[str]) -> str | None:
    """The first of libtiff's messages ``texts`` that says it could not follow the file's chain of
    page directories (:data:`DIRECTORY_DAMAGE`), or None."""
    return next((text for text in texts if DIRECTORY_DAMAGE.search(text)), None)
