"""The descriptive fields of a PDF's XMP packet (its catalog's /Metadata stream), read where its
document information dictionary lacks them: PDF 2.0 deprecates /Info, and its writers may keep a
document's title, author and date in XMP only. /Info wins where both say something (readers of
PDF 1.x show it).

Read (field: XMP property; /Info key): title: dc:title; Title. author: dc:creator, its names joined
with "; "; Author. description: dc:description; Subject. keywords: pdf:Keywords; Keywords.
copyright: dc:rights; Copyright. creator: xmp:CreatorTool; Creator. created: xmp:CreateDate (ISO
8601, its zone kept); CreationDate. Each as an element or an attribute of any rdf:Description; of a
language alternative (rdf:Alt), the x-default item, else the first.

A packet is parsed only when it is at most ``docclean.metadata.MAX_BLOCK`` bytes and declares no
DOCTYPE (so no entity can be defined, let alone expanded), with defusedxml where it is installed,
the standard library's expat otherwise. A packet that cannot be read is left out and named in the
problems, as any metadata block (``docclean.metadata``): it never fails the file."""

from __future__ import annotations

import codecs
from pathlib import Path
from xml.etree.ElementTree import Element

from docclean.metadata import Fields, clean_text, short_reason
from docclean.metadates import parse_xmp_date

try:
    from defusedxml.ElementTree import fromstring as _fromstring  # forbids entities and external references too
except ImportError:  # not a dependency: the DOCTYPE refused below is what would define entities
    from xml.etree.ElementTree import fromstring as _fromstring

__all__ = ["pdf_xmp_fields", "xmp_fields"]

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC, _XMP, _PDF = "{http://purl.org/dc/elements/1.1/}", "{http://ns.adobe.com/xap/1.0/}", "{http://ns.adobe.com/pdf/1.3/}"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# XMP property -> field; field -> the property's name in a problem.
_PROPERTIES = {_DC + "title": "title", _DC + "creator": "author", _DC + "description": "description",
              _PDF + "Keywords": "keywords", _DC + "rights": "copyright", _XMP + "CreatorTool": "creator",
              _XMP + "CreateDate": "created"}
_NAMES = {"title": "dc:title", "author": "dc:creator", "description": "dc:description", "keywords": "pdf:Keywords",
          "copyright": "dc:rights", "creator": "xmp:CreatorTool", "created": "xmp:CreateDate"}
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def pdf_xmp_fields(path: Path) -> tuple[Fields, list[str]]:
    """The fields of the PDF's catalog XMP packet, read with its /UserUnit values (one pypdf reading,
    ``docclean.pdfunits``), and the problems met."""
    from docclean.pdfunits import catalog_xmp  # it caps the packet at MAX_BLOCK

    packet = catalog_xmp(path)
    if packet is None:
        return Fields(), []
    if isinstance(packet, str):
        return Fields(), [f"metadata: PDF XMP left out ({packet})"]
    return xmp_fields(packet, "PDF XMP")


def xmp_fields(packet: bytes, where: str = "XMP") -> tuple[Fields, list[str]]:
    """The fields an XMP packet states, and the problems met (``where`` names it in them)."""
    try:
        root = _parse(packet)
    except Exception as exc:  # noqa: BLE001 - not XML, a DOCTYPE, a wrong encoding: left out
        return Fields(), [f"metadata: {where} left out ({short_reason(exc)})"]
    found: dict[str, str] = {}
    for description in root.iter(_RDF + "Description"):
        stated = [(name, value) for name, value in description.attrib.items() if name in _PROPERTIES]
        stated += [(prop.tag, _value(prop)) for prop in description if prop.tag in _PROPERTIES]
        for name, value in stated:
            if value and not found.get(_PROPERTIES[name]):
                found[_PROPERTIES[name]] = value
    problems, texts = [], {}
    for name, value in found.items():
        try:
            texts[name] = clean_text(value)
        except ValueError as exc:
            problems.append(f"metadata: {where} {_NAMES[name]} left out ({exc})")
    created = parse_xmp_date(texts.pop("created", None))
    return Fields(**texts, created=created), problems


def _parse(packet: bytes) -> Element:
    """The packet's XML tree; raises ValueError for a DOCTYPE, whatever the parser raises otherwise."""
    codec = next((codec for bom, codec in _BOMS if packet.startswith(bom)), None)
    if codec is None:
        codec = "utf-16-be" if packet[:2] == b"\0<" else "utf-16-le" if packet[:2] == b"<\0" else "utf-8"
    text = packet.decode(codec)
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("it declares a DOCTYPE (entities are not expanded)")
    return _fromstring(text)  # text, not bytes: its encoding declaration is not followed again


def _value(prop: Element) -> str | None:
    """A property's text: simple, the chosen item of a language alternative, or a list's joined."""
    container = next((child for child in prop if child.tag in (_RDF + "Alt", _RDF + "Seq", _RDF + "Bag")), None)
    if container is None:
        return prop.text
    items = [item for item in container if item.tag == _RDF + "li"]
    if container.tag == _RDF + "Alt":
        chosen = next((item for item in items if item.get(_LANG) == "x-default"), items[0] if items else None)
        return None if chosen is None else chosen.text
    return "; ".join(text for item in items if (text := (item.text or "").strip()))
