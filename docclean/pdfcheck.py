"""A PDF page's structure checked before pdfium draws it (:func:`check_pages`), with the bytes
each image it draws must decode to (``docclean.pdfimagebytes.image_bytes``).

pdfium draws a page whose content stream does not decode, or that draws an image the file does not
hold, as blank paper without a word, and ``docclean.pdfpage`` checks only the images pdfium found.
So each page's content is read with pypdf, in the reading ``docclean.pdfunits`` makes of the file
anyway, one pass with nothing rendered: its content streams must decode, and each name it draws
with ``Do`` must be in its resources (or, in a form, in the form's, or those around it), held as a
stream whose object header is whole, an image or a form; forms' content is checked the same way,
:data:`_DEPTH` deep. Only clear damage refuses: what pypdf cannot read is not judged. The names are
found by a search of the decoded content, and one found missing is confirmed by parsing it (a
string or an inline image may hold what looks like ``/X Do``).

A content stream whose Flate data ends early without an error is not refused: pdfium draws what it
holds, and data a writer flushed without ending the stream reads the same way, whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from docclean.pdfflate import inflate
from docclean.pdfimagebytes import followed, image_bytes, looked_up, stored

#: Form XObjects nested deeper than this are not looked into (``docclean.pdfpage`` stops there too).
_DEPTH = 8
_SPACE = rb"[\x00\t\n\x0c\r ]"
_REGULAR = rb"[^\x00\t\n\x0c\r /\[\]()<>{}%]"
#: A name and the ``Do`` operator after it.
_DO = re.compile(rb"/(" + _REGULAR + rb"*)" + _SPACE + rb"*Do(?!" + _REGULAR + rb")")
#: Decoded content kept from one piece for the next: a name and its ``Do`` may straddle two pieces.
_OVERLAP = 512
#: An object's header, "12 0 obj", where the cross-reference table says it begins.
_HEADER = re.compile(rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*(\d+)" + _SPACE + rb"+\d+" + _SPACE
                     + rb"+obj(?!" + _REGULAR + rb")")
#: PDF's whitespace: a stream of nothing else is empty.
_WHITE = b"\x00\t\n\x0c\r "


@dataclass(frozen=True)
class PageCheck:
    """What :func:`check_pages` found on one page."""

    #: Why it cannot be drawn whole ("its content stream cannot be decoded (...)"), or None.
    damage: str | None = None
    #: It has no usable /MediaBox: pdfium draws it on US Letter paper, as viewers show it.
    boxless: bool = False
    #: The bytes each image it draws must decode to, by (width, height, length of its data as stored).
    sizes: dict[tuple[int, int, int], int] = field(default_factory=dict)


def check_pages(reader: Any) -> tuple[PageCheck, ...]:
    """A :class:`PageCheck` for each page of pypdf's ``reader``; none (an empty tuple) where pypdf
    cannot list its pages. Read while the reader's file is open: object headers are read from it."""
    try:
        pages = list(reader.pages)
    except Exception:  # noqa: BLE001 - a page tree pypdf cannot read: no page is judged
        return ()
    return tuple(_check(reader, page) for page in pages)


def box_warning(checks: tuple[PageCheck, ...]) -> str | None:
    """What to say of the pages of ``checks`` that have no usable /MediaBox, or None where all have
    one. pdfium, as Acrobat and other viewers, draws them on US Letter paper; they are cleaned as
    shown, not sized from their images (which of a page's images, at what resolution, would be a
    guess), and told about: a small scan on such a page lies in a corner of a mostly blank one."""
    pages = [index + 1 for index, check in enumerate(checks) if check.boxless]
    if not pages:
        return None
    if len(pages) == 1:
        return (f"page {pages[0]} has no page size (no usable /MediaBox): it is cleaned on US Letter paper "
                "(8.5 x 11 in), as PDF viewers show it; what it holds may lie in a corner of it")
    shown = [str(page) for page in pages[:5]] + ([f"{len(pages) - 5} more"] if len(pages) > 5 else [])
    named = ", ".join(shown[:-1]) + " and " + shown[-1]
    return (f"pages {named} have no page size (no usable /MediaBox): they are cleaned on US Letter paper "
            "(8.5 x 11 in), as PDF viewers show them; what they hold may lie in a corner of them")


def _check(reader: Any, page: Any) -> PageCheck:
    sizes: dict[tuple[int, int, int], int] = {}
    try:
        damage = _Walk(reader, sizes).page(page)
    except Exception:  # noqa: BLE001 - what pypdf cannot read is not judged: only clear damage refuses
        damage = None
    return PageCheck(damage, _boxless(page), sizes)


def _boxless(page: Any) -> bool:
    """Whether pdfium finds no /MediaBox on ``page`` (inherited ones pypdf has put there): none, no
    array of four numbers, or one of no width or height."""
    try:
        box = looked_up(page, "/MediaBox")
        if not isinstance(box, list) or len(box) < 4:
            return True
        left, bottom, right, top = (float(followed(value)) for value in box[:4])
        return left == right or bottom == top
    except Exception:  # noqa: BLE001 - a box pypdf cannot read: pdfium's own reading stands, unwarned
        return False


class _Walk:
    """One page's content and the forms it draws, each form once."""

    def __init__(self, reader: Any, sizes: dict[tuple[int, int, int], int]) -> None:
        self.reader, self.sizes, self.seen = reader, sizes, set()

    def page(self, page: Any) -> str | None:
        from pypdf.generic import ArrayObject, ContentStream

        streams, problem = self._streams(stored(page, "/Contents"))
        if problem is None:
            names, problem = _content_names(streams)
        if problem is not None:
            return f"its content stream cannot be decoded ({problem})"
        return self._names(names, [_xobjects(looked_up(page, "/Resources"))], "",
                           lambda: ContentStream(ArrayObject(streams), self.reader), 0)

    def _streams(self, entry: Any) -> tuple[list[Any], str | None]:
        """The streams of a /Contents entry (a stream or an array of them), or why one is damaged."""
        from pypdf.generic import ArrayObject, StreamObject

        problem = self._header(entry)
        entry = followed(entry)
        found = []
        for item in entry if isinstance(entry, ArrayObject) else [entry]:
            problem = problem or self._header(item)
            if problem is not None:
                return [], problem
            item = followed(item)
            if isinstance(item, StreamObject):
                found.append(item)
            elif isinstance(item, dict):  # a damaged "stream" keyword: pdfium draws nothing of it
                return [], "its data is not a stream"
        return found, None

    def _names(self, names: set[str], chain: list[Any], where: str, parse: Callable[[], Any], depth: int
               ) -> str | None:
        """Why a name among ``names`` (found drawn by ``where``'s content) cannot be drawn, looked up
        in the XObject dictionaries of ``chain`` (innermost first), confirmed by ``parse``."""
        problems = {}
        for name in sorted(names):
            try:
                problem = self._xobject(name, chain, where, depth)
            except Exception:  # noqa: BLE001 - an object pypdf cannot read: not judged, the others are
                continue
            if problem is not None:
                problems[name] = problem
        if not problems:
            return None
        try:  # a string or inline image may hold what looks like "/X Do": what is drawn, parsed
            drawn = {str(operands[0]) for operands, operator in parse().operations
                     if operator == b"Do" and operands}
        except Exception:  # noqa: BLE001 - content pypdf cannot parse: not judged
            return None
        return next((problems[name] for name in sorted(problems) if name in drawn), None)

    def _xobject(self, name: str, chain: list[Any], where: str, depth: int) -> str | None:
        """Why XObject ``name`` cannot be drawn, or None; a form's own names are checked too."""
        from pypdf.generic import ContentStream, StreamObject

        entry = next((dict.get(xobjects, name) for xobjects in chain if xobjects is not None and name in xobjects),
                     None)
        if entry is None:
            return f"{where}draws an image {name} that the file does not hold"
        problem = self._header(entry)
        obj = followed(entry)
        kind = "a form" if isinstance(obj, dict) and looked_up(obj, "/Subtype") == "/Form" else "an image"
        if problem is not None or not isinstance(obj, StreamObject):
            why = problem or ("its data is not a stream" if isinstance(obj, dict) else "the file does not hold it")
            return f"{where}draws {kind} {name} that cannot be read ({why})"
        subtype = looked_up(obj, "/Subtype")
        if subtype == "/Image":
            data = getattr(obj, "_data", None)  # as stored: pdfium's image gives the same to find it by
            least = image_bytes(obj)
            if isinstance(data, bytes) and least is not None:
                key = (int(looked_up(obj, "/Width")), int(looked_up(obj, "/Height")), len(data))
                self.sizes[key] = min(least, self.sizes.get(key, least))
            if hasattr(entry, "idnum"):
                # pypdf keeps every object it read, an image's data too: a 176 MB scanned PDF held
                # 187 MB. What is needed of it is taken; it is read again if ever asked for.
                getattr(self.reader, "resolved_objects", {}).pop((entry.generation, entry.idnum), None)
            return None
        if subtype not in ("/Form", "/PS"):
            return f"{where}draws {name}, which is neither an image nor a form (its /Subtype is {subtype or 'missing'})"
        key = (entry.idnum, entry.generation) if hasattr(entry, "idnum") else id(obj)
        if subtype == "/PS" or depth >= _DEPTH or key in self.seen:
            return None
        self.seen.add(key)
        names, problem = _content_names([obj])
        if problem is not None:
            return f"{where}draws a form {name} whose content stream cannot be decoded ({problem})"
        # pdfium looks a form's names up in its own resources, else in those around it: either counts.
        return self._names(names, [_xobjects(looked_up(obj, "/Resources")), *chain], f"its form {name} ",
                           lambda: ContentStream(obj, self.reader), depth + 1)

    def _header(self, entry: Any) -> str | None:
        """Why the object ``entry`` refers to is damaged where the file holds it (its header is not
        "N G obj"; pypdf reads past it, pdfium does not), or None; None for a direct object, one in
        an object stream or one pypdf has not placed."""
        number = getattr(entry, "idnum", None)
        if number is None or number in getattr(self.reader, "xref_objStm", {}):
            return None
        followed(entry)  # pypdf looks an object up where the table is wrong: the place it found counts
        offset = self.reader.xref.get(entry.generation, {}).get(number)
        if not isinstance(offset, int):
            return None
        stream = self.reader.stream
        at = stream.tell()
        try:
            stream.seek(offset)
            head = _HEADER.match(stream.read(64))
        finally:
            stream.seek(at)
        return None if head is not None and int(head.group(1)) == number else f"its object {number} is damaged"


def _content_names(streams: list[Any]) -> tuple[set[str], str | None]:
    """The names drawn with ``Do`` in ``streams`` (content, one after another), and why one cannot
    be decoded: Flate data is inflated here, whole; other filters are pypdf's (an error of theirs is
    not judged)."""
    found: set[str] = set()
    kept = [b""]

    def scan(piece: bytes) -> None:
        text = kept[0] + piece
        found.update(_name(match.group(1)) for match in _DO.finditer(text))
        kept[0] = text[-_OVERLAP:]

    for stream in streams:
        data = getattr(stream, "_data", None)
        named = looked_up(stream, "/Filter")
        filters = [str(followed(item)) for item in named] if isinstance(named, list) else [named] if named else []
        if not isinstance(data, bytes) or not data.strip(_WHITE):
            continue  # an empty stream (pikepdf's blank page has one, Flate-coded): no content, no damage
        if not filters:
            scan(data)
        elif filters in (["/FlateDecode"], ["/Fl"]) and not looked_up(stream, "/DecodeParms"):
            _, problem, cut = inflate(data, scan)
            if problem is not None and not cut:
                return found, f"its Flate data {problem}"
        else:
            try:
                scan(stream.get_data())
            except Exception:  # noqa: BLE001 - a filter pypdf cannot undo: not judged
                pass
        scan(b"\n")  # streams join at a token's end
    return found, None


def _name(raw: bytes) -> str:
    """A name as pypdf keys it: "/" and its bytes, #xx escapes undone."""
    text = re.sub(rb"#([0-9A-Fa-f]{2})", lambda match: bytes([int(match.group(1), 16)]), raw)
    return "/" + text.decode("utf-8", "surrogateescape")


def _xobjects(resources: Any) -> Any:
    """The XObject dictionary of a resource dictionary, or None."""
    found = looked_up(resources, "/XObject") if isinstance(resources, dict) else None
    return found if isinstance(found, dict) else None
