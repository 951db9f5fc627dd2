"""A TIFF opened by the libtiff Pillow loaded, through read callbacks, with message handlers of its
own: libtiff 4.5's TIFFOpenOptions, so no process-wide handler is touched and threads do not hear
each other's messages. ``docclean.faxdecode`` decodes CCITT data wrapped in a one-strip TIFF with it,
``docclean.tiffcheck`` a TIFF page whose damage libtiff tells only by warnings.

It runs where ``docclean.tiffmessages.libraries`` finds libtiff's messages can be formatted (Linux
on x86-64 or arm64, one libtiff loaded: where a ``va_list`` formats with ``vsnprintf``) and libtiff
has per-TIFF handlers; elsewhere :func:`opened` gives None and nothing is decoded."""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from docclean import tiffmessages

__all__ = ["Report", "available", "library", "opened"]

_Handler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                            ctypes.c_void_p)
_ReadWrite = ctypes.CFUNCTYPE(ctypes.c_ssize_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ssize_t)
_Seek = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int)
_Close = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_Size = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)
_Map = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_Unmap = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64)

#: What a TIFF's messages go to: (module, message), both as libtiff gave them (the message formatted).
Report = Callable[[bytes, bytes], None]


@functools.cache
def _found() -> tuple[ctypes.CDLL, ctypes.CDLL] | None:
    found = tiffmessages.libraries()  # the platforms and the one libtiff where messages can be formatted
    if found is None:
        return None
    lib, libc = found
    try:
        lib.TIFFOpenOptionsAlloc.restype = ctypes.c_void_p
        lib.TIFFOpenOptionsAlloc.argtypes = []
        lib.TIFFOpenOptionsFree.argtypes = [ctypes.c_void_p]
        for name in ("TIFFOpenOptionsSetErrorHandlerExtR", "TIFFOpenOptionsSetWarningHandlerExtR"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, _Handler, ctypes.c_void_p]
        lib.TIFFClientOpenExt.restype = ctypes.c_void_p
        lib.TIFFClientOpenExt.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, _ReadWrite, _ReadWrite,
                                          _Seek, _Close, _Size, _Map, _Unmap, ctypes.c_void_p]
        lib.TIFFSetDirectory.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        for name in ("TIFFIsTiled", "TIFFNumberOfStrips", "TIFFNumberOfTiles"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
        lib.TIFFNumberOfStrips.restype = lib.TIFFNumberOfTiles.restype = ctypes.c_uint32
        for name in ("TIFFStripSize", "TIFFTileSize"):
            getattr(lib, name).argtypes = [ctypes.c_void_p]
            getattr(lib, name).restype = ctypes.c_ssize_t
        for name in ("TIFFReadEncodedStrip", "TIFFReadEncodedTile"):
            getattr(lib, name).argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_ssize_t]
            getattr(lib, name).restype = ctypes.c_ssize_t
        lib.TIFFClose.argtypes = [ctypes.c_void_p]
    except AttributeError:  # a libtiff older than 4.5, without per-TIFF handlers
        return None
    return lib, libc


def library() -> ctypes.CDLL | None:
    """The libtiff Pillow loaded, with the prototypes :func:`opened`'s callers use (``TIFFSetDirectory``,
    ``TIFFReadEncodedStrip`` and the like), or None where it cannot be used here."""
    found = _found()
    return None if found is None else found[0]


def available() -> bool:
    """Whether a TIFF can be opened here with handlers of its own."""
    return _found() is not None


@contextmanager
def opened(name: bytes, read: Callable[[int], bytes], seek: Callable[[int, int], int], size: int,
           report: Report) -> Iterator[int | None]:
    """The TIFF that ``read(wanted)`` (its bytes from where ``seek(offset, whence)`` put it; ``size``
    bytes in all) gives, opened under ``name`` for reading with every error and warning libtiff says
    of it formatted (at most 512 bytes) and handed to ``report``, closed when the block
    ends; None where that cannot be done here. ``report`` and the callbacks must not raise: ctypes
    could only print it."""
    found = _found()
    if found is None:
        yield None
        return
    lib, libc = found

    def said(_tif: int | None, _user: int | None, module: bytes | None, fmt: bytes | None, args: int | None) -> int:
        try:
            if fmt is not None:
                buffer = ctypes.create_string_buffer(512)
                libc.vsnprintf(buffer, len(buffer), fmt, args)
                report(module or b"", buffer.value)
        except Exception:  # noqa: BLE001, S110 - never raises into C
            pass
        return 1  # handled: not passed on to the process-wide handlers

    def read_into(_handle: int | None, buffer: int | None, wanted: int) -> int:
        data = read(max(0, wanted))
        ctypes.memmove(buffer, data, len(data))
        return len(data)

    def seek_to(_handle: int | None, offset: int, whence: int) -> int:
        try:
            return seek(offset, whence)
        except (OSError, ValueError, OverflowError):
            return 2**64 - 1  # libtiff's (toff_t)-1: the seek failed

    # libtiff keeps these pointers while the TIFF is open: all of them stay referenced until it is closed.
    procs = (_ReadWrite(read_into), _ReadWrite(lambda *_: -1), _Seek(seek_to), _Close(lambda _: 0),
             _Size(lambda _: size), _Map(lambda *_: 0), _Unmap(lambda *_: None))
    handler = _Handler(said)  # for errors and warnings alike
    options = lib.TIFFOpenOptionsAlloc()
    if not options:
        yield None
        return
    try:
        lib.TIFFOpenOptionsSetErrorHandlerExtR(options, handler, None)
        lib.TIFFOpenOptionsSetWarningHandlerExtR(options, handler, None)
        tif = lib.TIFFClientOpenExt(name, b"rm", None, *procs, options)  # "m": read, never map
    finally:
        lib.TIFFOpenOptionsFree(options)
    if not tif:
        yield None
        return
    try:
        yield tif
    finally:
        lib.TIFFClose(tif)
