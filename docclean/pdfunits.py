"""A PDF page's /UserUnit (PDF 1.6): how many 1/72 inch one unit of its space is. A page's physical
size is its box times this, so a scan on a page of UserUnit 2 has half the dots per inch its box in
points gives. pdfium ignores the key and has no call that reads a page's dictionary, so pypdf reads
them (:func:`page_units`), without ``docclean.pdf``'s pdfium lock. Writing, a
page over PDF's 200 inches gets one (:func:`fit_box`).

pypdf reads a file strictly first: rebuilding a damaged cross-reference table reads the whole file
into memory, where pdfium reads it in parts. A file that strict reading refuses but pdfium reads (a
mail header before ``%PDF``, offsets shifted by a few bytes, no ``%%EOF``) is repaired in memory up
to :data:`REPAIR_LIMIT`. Beyond it, or where pypdf cannot read it at all (AES-256 without the
``cryptography`` package), the file's bytes are searched for the key: its pages are read at their
boxes' size, and when the key is there (outside compressed object streams, which hide it) reading
the whole file warns that they may come out smaller than the paper.

The same reading keeps the document catalog's XMP packet (:func:`catalog_xmp`), which
``docclean.metaxmp`` reads the metadata of a PDF without /Info from, and what ``docclean.pdfcheck``
finds on each page (:func:`page_checks`): one pypdf reading per file."""

from __future__ import annotations

import functools
import io
import logging
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from docclean.fileid import file_version, find_all
from docclean.metadata import MAX_BLOCK
from docclean.pdfcheck import PageCheck, check_pages
from docclean.progress import InputWarning

if TYPE_CHECKING:
    import pypdf

#: The largest file repaired in memory to read its units (bytes). The repair holds the file once,
#: twice where ``%%EOF`` is missing (a copy with one added): at this size 64 and 127 MiB more, about
#: what cleaning one 300-dpi A4 page costs (14 bytes a pixel, 122 MB), for a damaged scan of up to
#: 1,700 group 4 A4 pages (37 KB each). The rare larger one is searched for the key instead.
REPAIR_LIMIT = 64 << 20
#: The /UserUnit values taken: up to Acrobat's largest, 75,000; from a tenth (a page of 1e-7 was
#: drawn as one pixel). Others are read as 1.
UNIT_RANGE = (0.1, 75_000.0)
#: PDF's largest page side in its units, 200 inches (Acrobat's limit; ISO 32000's implementation note).
MAX_PAGE_PT = 14_400.0
_KEY = b"/UserUnit"
#: Where a PDF's ``%%EOF`` must lie (bytes from its end, Acrobat's rule). Without one, pypdf looks
#: for it line by line back to the file's start (10 s for a 63 MB file) before it gives up.
_TAIL = 1024
_CHUNK = 1 << 20


def page_units(path: Path, count: int, warn: bool = False) -> tuple[float, ...]:
    """The /UserUnit of each of the ``count`` pages pdfium finds in ``path``: every one 1 where
    pypdf cannot tell or finds another number of pages (a damaged page tree read two ways). With
    ``warn``, an :class:`InputWarning` when the file has a /UserUnit that could not be read."""
    units, why = _units(path)
    if warn and why:
        warnings.warn(f"its pages may come out smaller than the paper: the file sets a /UserUnit (a page's size "
                      f"is its box times it), which could not be read ({why}); pages are read at their box's size",
                      InputWarning, stacklevel=3)
    return units if len(units) == count else (1.0,) * count


def page_checks(path: Path, count: int) -> tuple[PageCheck, ...]:
    """What ``docclean.pdfcheck`` finds on each of the ``count`` pages pdfium finds in ``path``, in
    the reading of their units: nothing (an empty :class:`PageCheck` each) where pypdf cannot read
    the file or finds another number of pages."""
    version = file_version(path)
    checks = () if version is None else _read(path, *version)[3]
    return checks if len(checks) == count else (PageCheck(),) * count


def fit_box(width_pt: float, height_pt: float) -> tuple[float, float, bytes]:
    """The page box (width, height) for a page of ``width_pt`` x ``height_pt`` points, and the page
    dictionary's /UserUnit entry: none within PDF's 200 inches (:data:`MAX_PAGE_PT`), where the box
    is the page's size; beyond, the smallest whole unit that brings the box within them (readers
    refuse or clip a larger box, and a box shrunk without the unit would print the page smaller)."""
    unit = math.ceil(max(width_pt, height_pt) / MAX_PAGE_PT)
    if unit <= 1:
        return width_pt, height_pt, b""
    return width_pt / unit, height_pt / unit, b"/UserUnit %d " % unit


def quiet_pypdf() -> None:
    """Keep pypdf's notes on a damaged file or dictionary from being printed: they are not docclean's."""
    quiet = logging.getLogger("pypdf")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())


def _units(path: Path) -> tuple[tuple[float, ...], str | None]:
    """(each page's /UserUnit, 1 where absent or not a positive number, empty when the file cannot
    tell; why a /UserUnit the file's bytes hold was not read, else None), read once per file version."""
    version = file_version(path)
    return ((), None) if version is None else _read(path, *version)[:2]


def catalog_xmp(path: Path) -> bytes | str | None:
    """The XMP packet of the document catalog's /Metadata stream, decoded; None where there is none
    or pypdf cannot read the file (its units are read at their boxes' size then too); a short reason
    where it is over ``docclean.metadata.MAX_BLOCK`` bytes or cannot be decoded. Read with the units."""
    version = file_version(path)
    return None if version is None else _read(path, *version)[2]


@functools.lru_cache(maxsize=16)
def _read(path: Path, size: int, *_version: int) -> tuple[tuple[float, ...], str | None, bytes | str | None,
                                                          tuple[PageCheck, ...]]:
    """(:func:`_units`' pair, :func:`_xmp` and ``pdfcheck.check_pages`` of the same reading)."""
    try:
        import pypdf
    except ImportError:  # an install that predates the dependency: the pages' boxes as before
        return (), None, None, ()
    quiet_pypdf()
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, size - _TAIL))
            ended = b"%%EOF" in fh.read()
            why, repair = f"a damaged file over {REPAIR_LIMIT >> 20} MB is not repaired for it", size <= REPAIR_LIMIT
            if ended:
                try:
                    return _contents(pypdf.PdfReader(fh, strict=True))
                except pypdf.errors.DependencyError as exc:  # AES-256 without `cryptography`: no repair helps
                    why, repair = f"pypdf: {exc}", False
                except Exception:  # noqa: BLE001 - repaired below, as pdfium repairs it
                    pass
            if repair:
                source: BinaryIO = fh
                if not ended:  # pypdf needs the %%EOF a cut file lacks: a copy with one added
                    fh.seek(0)
                    source = io.BytesIO(fh.read() + b"\n%%EOF\n")
                try:
                    return _contents(pypdf.PdfReader(source, strict=False))
                except pypdf.errors.DependencyError as exc:
                    why = f"pypdf: {exc}"
                except Exception:  # noqa: BLE001 - not a PDF pypdf reads: its key is looked for below
                    why = "pypdf cannot read the file"
                del source
            return (), why if _holds_key(fh) else None, None, ()
    except OSError:
        return (), None, None, ()


def _contents(reader: pypdf.PdfReader) -> tuple[tuple[float, ...], None, bytes | str | None, tuple[PageCheck, ...]]:
    """Every page's unit, as ``reader`` reads them, the catalog's XMP (:func:`_xmp`) and what
    ``pdfcheck.check_pages`` finds (while the file is open: it reads object headers from it)."""
    return tuple(_unit(page) for page in reader.pages), None, _xmp(reader), check_pages(reader)


def _xmp(reader: pypdf.PdfReader) -> bytes | str | None:
    """The catalog's /Metadata stream decoded, None where there is none, or why it was not read."""
    from pypdf.generic import StreamObject

    try:
        stream = reader.trailer["/Root"].get("/Metadata")
        stream = stream.get_object() if stream is not None else None
        if not isinstance(stream, StreamObject):
            return None
        length = stream["/Length"] if "/Length" in stream else 0  # an indirect length is looked up
        if isinstance(length, int) and length > MAX_BLOCK:
            return f"{length:,} bytes (at most {MAX_BLOCK:,} are read)"
        data = stream.get_data()  # pypdf bounds what its filters give (75 MB)
    except Exception as exc:  # noqa: BLE001 - a damaged catalog or stream: only its XMP is left out
        return f"cannot be decoded ({type(exc).__name__})"
    return data if len(data) <= MAX_BLOCK else f"{len(data):,} bytes (at most {MAX_BLOCK:,} are read)"


def _unit(page: dict) -> float:
    """One page dictionary's /UserUnit, 1 when absent or not a number in :data:`UNIT_RANGE`."""
    try:
        value = page["/UserUnit"] if "/UserUnit" in page else 1.0  # an indirect number is looked up
        unit = 1.0 if isinstance(value, (str, bytes)) else float(value)  # float() takes (2)'s digits too
    except Exception:  # noqa: BLE001 - a reference pypdf cannot follow: this page keeps its box
        return 1.0
    low, high = UNIT_RANGE
    return unit if low <= unit <= high else 1.0  # NaN fails both tests


def _holds_key(fh: BinaryIO) -> bool:
    """Whether the file's bytes hold ``/UserUnit`` anywhere, read in 1 MiB chunks (a gigabyte in 0.5 s
    from the page cache, 1 s from disk); a key inside a compressed object stream is not seen."""
    fh.seek(0)
    return any(find_all(fh, _KEY, chunk=_CHUNK))
