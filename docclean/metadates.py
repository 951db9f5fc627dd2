"""Dates in the forms metadata keeps them, read to a ``datetime`` and written back: PDF
(``D:20240131143000+01'00'``), XMP (``2024-01-31T14:30:00+01:00``, read only), EXIF and TIFF
(``2024:01:31 14:30:00``, its zone apart in OffsetTime tags) and PNG text (RFC 1123 as its
specification suggests; ISO 8601 and the EXIF form are read too). A date in no known form reads
as None: it is left out, never guessed at.

A date without a zone (EXIF, TIFF) stays naive and is written without one, so a date is never
moved to another zone on its way through."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime

__all__ = ["exif_date", "exif_offset", "parse_exif_date", "parse_pdf_date", "parse_text_date", "pdf_date",
           "png_date"]

# Every part after the year may be missing (PDF 1.7, 7.9.4): D:2024 is 1 January 2024.
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d\d)?(\d\d)?(\d\d)?(\d\d)?(\d\d)?"
                       r"(?:([Zz+\-])(?:(\d\d)'?(?:(\d\d)'?)?)?)?\s*$")
# XMP's dates (XMP part 1, 8.2.1.1): ISO 8601 to the day, minute, second or its fraction (dropped).
_XMP_DATE = re.compile(r"^(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:[.,]\d+)?)?"
                       r"(?:([Zz]|[+\-](?=\d\d:?\d\d))(?:(\d\d):?(\d\d))?)?)?)?)?\s*$")
_EXIF_DATE = re.compile(r"^\s*(\d{4}):(\d\d):(\d\d)[ T](\d\d):(\d\d):(\d\d)")
_OFFSET = re.compile(r"^\s*([+\-])(\d\d):(\d\d)\s*$")


def _zone(sign: str | None, hours: str | None, minutes: str | None) -> timezone | None:
    if sign is None:
        return None
    if sign in "Zz":
        return timezone.utc
    delta = timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    return timezone(-delta if sign == "-" else delta)


def parse_pdf_date(text: str | None) -> datetime | None:
    """A PDF date string as a datetime (aware when it names its zone), None when it is none."""
    found = _PDF_DATE.match((text or "").strip())
    return None if found is None else _date(found)


def _date(found: re.Match[str]) -> datetime | None:
    """The date a PDF or XMP date's match gives (year, ..., second, zone sign, hours, minutes)."""
    year, month, day, hour, minute, second, sign, zh, zm = found.groups()
    try:
        return datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                        int(second or 0), tzinfo=_zone(sign, zh, zm))
    except ValueError:  # month 13, hour 25, an offset of a day or more
        return None


def parse_xmp_date(text: str | None) -> datetime | None:
    """An XMP date (``2024-01-31T14:30:00+01:00``, any part after the year missing) as a datetime,
    aware when it names its zone; None when it is none."""
    found = _XMP_DATE.match((text or "").strip())
    return None if found is None else _date(found)


def parse_exif_date(text: object, offset: object = None) -> datetime | None:
    """An EXIF or TIFF date (``YYYY:MM:DD HH:MM:SS``) with its EXIF OffsetTime tag (``+01:00``,
    when there is one) as a datetime; None when it is none (blank, ``0000:00:00 00:00:00``)."""
    found = _EXIF_DATE.match(text) if isinstance(text, str) else None
    if found is None:
        return None
    zone = _OFFSET.match(offset) if isinstance(offset, str) else None
    try:
        return datetime(*(int(part) for part in found.groups()),  # type: ignore[misc]
                        tzinfo=_zone(*zone.groups()) if zone else None)
    except ValueError:
        return None


def parse_text_date(text: str | None) -> datetime | None:
    """A date written as text (a PNG's Creation Time): RFC 1123/2822, ISO 8601, the EXIF form or
    the PDF form; None when it is in none of them."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    return parse_exif_date(text) or parse_pdf_date(text)


def pdf_date(when: datetime) -> str:
    """``when`` as a PDF date string (with its zone when it has one)."""
    text = f"D:{when.year:04d}{when.month:02d}{when.day:02d}{when.hour:02d}{when.minute:02d}{when.second:02d}"
    offset = when.utcoffset()
    if offset is None:
        return text
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{text}{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def exif_date(when: datetime) -> str:
    """``when`` in the EXIF and TIFF form (its zone, if any, goes apart: :func:`exif_offset`)."""
    return f"{when.year:04d}:{when.month:02d}:{when.day:02d} {when.hour:02d}:{when.minute:02d}:{when.second:02d}"


def exif_offset(when: datetime) -> str | None:
    """The zone of ``when`` as an EXIF OffsetTime value (``+01:00``), None when it has none."""
    offset = when.utcoffset()
    if offset is None:
        return None
    minutes = int(offset.total_seconds()) // 60
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def png_date(when: datetime) -> str:
    """``when`` as a PNG Creation Time (RFC 1123; ``-0000`` where the zone is unknown)."""
    return format_datetime(when)
