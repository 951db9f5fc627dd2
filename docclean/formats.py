"""The one table of file formats docclean reads and writes.

Reading, writing, discovery, training-data pairing and the CLI's choices all ask this module, so a
format is added or changed in one place. Names are canonical (``jpeg``, ``tiff``); ``jpg`` and
``tif`` are aliases. Pure Python: importing it loads no imaging or ML library.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

from docclean.errors import OutputError


@dataclass(frozen=True)
class Format:
    """One file format: its canonical ``name``, the suffixes it is recognised by (the first is the
    one written), whether one file holds several pages, whether docclean can write it, whether
    it holds 1-bit pages (``--binarize`` into one that does not writes 8-bit grey: ``docclean.writer``),
    whether docclean writes it with lossy compression (a black and white page gets grey fringes
    around its strokes) and ``max_side``, the most pixels a page of it may have a side, where a page
    docclean reads can reach that (None: it cannot; PNG holds 2^31 - 1, TIFF 2^32 - 1, BMP 2^31 - 1,
    and a PDF page over 200 inches gets a /UserUnit, ``docclean.pdfunits.fit_box``); and ``max_bytes``,
    the largest file it holds (None: no limit docclean can reach): classic TIFF's 32-bit offsets end
    at 4 GiB, and Pillow writes BigTIFF only uncompressed."""

    name: str
    suffixes: tuple[str, ...]
    multi_page: bool = False
    writable: bool = True
    aliases: tuple[str, ...] = ()
    one_bit: bool = True
    lossy: bool = False
    title: str = ""
    max_side: int | None = None
    max_bytes: int | None = None

    @property
    def suffix(self) -> str:
        """The suffix docclean gives files it writes in this format."""
        return self.suffixes[0]

    @property
    def label(self) -> str:
        """What messages call the format: ``title``, else its name in upper case (``JPEG``, ``WebP``)."""
        return self.title or self.name.upper()


FORMATS: tuple[Format, ...] = (
    Format("png", (".png",)),
    # libjpeg's JPEG_MAX_DIMENSION and libwebp's WEBP_MAX_DIMENSION: their encoders refuse a larger
    # page only when it is written, in their own words (libjpeg's on stderr).
    Format("jpeg", (".jpg", ".jpeg"), aliases=("jpg",), one_bit=False, lossy=True, max_side=65_500),
    Format("tiff", (".tif", ".tiff"), multi_page=True, aliases=("tif",), max_bytes=2**32 - 1),
    Format("bmp", (".bmp",)),
    Format("webp", (".webp",), one_bit=False, title="WebP", max_side=16_383),
    Format("pdf", (".pdf",), multi_page=True),
)

_BY_NAME = {f.name: f for f in FORMATS} | {a: f for f in FORMATS for a in f.aliases}
_BY_SUFFIX = {s: f for f in FORMATS for s in f.suffixes}

#: Every suffix docclean reads, lower case with the dot.
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX)
#: Canonical names of the formats docclean writes.
OUTPUT_NAMES: tuple[str, ...] = tuple(f.name for f in FORMATS if f.writable)
#: Names a user may give for an output format (canonical names and aliases).
OUTPUT_CHOICES: tuple[str, ...] = tuple(sorted({*OUTPUT_NAMES, *(a for f in FORMATS for a in f.aliases)}))
#: The formats docclean writes that hold 1-bit pages, and those that do not (binarized pages go into
#: them as 8-bit grey): the one rule the engine's warning, the CLI's and the desktop app's words follow.
ONE_BIT: tuple[Format, ...] = tuple(f for f in FORMATS if f.writable and f.one_bit)
NO_ONE_BIT: tuple[Format, ...] = tuple(f for f in FORMATS if f.writable and not f.one_bit)


#: Endings of image and page files that docclean cannot write: ``-o page.gif`` is a file name
#: asked for, not a folder to make under that name.
OTHER_IMAGE_SUFFIXES: frozenset[str] = frozenset({
    ".gif", ".jp2", ".j2k", ".jpx", ".jxl", ".heic", ".heif", ".avif", ".svg", ".ico", ".psd", ".eps",
    ".ps", ".djvu", ".djv", ".xps", ".pnm", ".pgm", ".ppm", ".pbm", ".pcx", ".tga", ".xcf"})


def by_name(name: str) -> Format:
    """The format called ``name`` (case-insensitive, leading dot allowed, aliases accepted);
    ValueError naming the choices when there is none."""
    try:
        return _BY_NAME[name.lower().lstrip(".")]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; choose from {', '.join(OUTPUT_CHOICES)}") from None


def by_suffix(path: str | Path) -> Format | None:
    """The format of a file, from its suffix (case-insensitive); None when unsupported."""
    # A Path's own suffix: making a Path again costs more than the rest of planning a file.
    return _BY_SUFFIX.get((path if isinstance(path, PurePath) else Path(path)).suffix.lower())


def named(fmts: Iterable[Format], last: str = "and") -> str:
    """``fmts`` named in a sentence by their labels: "JPEG", "JPEG and WebP", "PNG, TIFF, BMP and
    PDF" (``last``: the word before the last one, "or" for a choice)."""
    labels = [f.label for f in fmts]
    return f" {last} ".join([", ".join(labels[:-1]), labels[-1]]) if len(labels) > 1 else "".join(labels)


def check_page_size(fmt: Format | None, shape: tuple[int, ...], index: int, path: str | Path | None) -> None:
    """OutputError naming ``path`` when page ``index`` (0-based) of ``shape`` (its array's: height,
    width, ...) is larger than ``fmt`` holds (:attr:`Format.max_side`; None: no format, nothing to
    check), naming the lossless formats that hold it. The batch asks before cleaning the page, and
    ``docclean.writer.PageWriter`` before encoding it: no encoder refuses it after the work, in its
    own words."""
    height, width = int(shape[0]), int(shape[1])
    side = max(width, height)
    if fmt is None or fmt.max_side is None or side <= fmt.max_side:
        return
    holding = [f for f in FORMATS if f.writable and not f.lossy and (f.max_side is None or side <= f.max_side)]
    raise OutputError(f"page {index + 1} is {width} x {height} pixels; {fmt.label} holds at most {fmt.max_side} "
                      f"pixels a side: write it as {named(holding, 'or')}", path)


def too_big(fmt: Format, pages: int) -> str:
    """The reason a file of ``fmt`` cannot hold ``pages`` pages (:attr:`Format.max_bytes`), naming
    the outputs that can (a PDF, page files)."""
    limit = fmt.max_bytes or 0
    size = f"{limit / 2**30:.0f} GB" if limit >= 2**30 else f"{limit:,} bytes"
    return (f"a {fmt.label} file holds at most {size}, and its {pages} cleaned pages would go past it: "
            "write it as PDF (--format pdf) or as page files (--format png)")


def is_supported(path: str | Path) -> bool:
    """True when docclean can read a file with this suffix."""
    return by_suffix(path) is not None


def output_suffix(source: str | Path, fmt: str | None) -> str:
    """The suffix of the output for ``source``: with ``fmt`` None (or "same") the input's own
    suffix with its case kept (``SCAN.PNG`` stays ``.PNG``), else the format's own suffix.
    ValueError for an unsupported input suffix or an unknown format name."""
    if fmt is None or fmt.lower() == "same":
        suffix = Path(source).suffix
        if suffix.lower() not in _BY_SUFFIX:
            raise ValueError(f"unsupported file type '{suffix or '(no suffix)'}'")
        return suffix
    return by_name(fmt).suffix
