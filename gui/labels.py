"""What the settings panel calls its settings, and the note that an export will not keep 1-bit pages.

Pure Python, so that messages naming a setting (``gui.previewing``) and the panel
(``gui.controls``) say the same words.
"""

from __future__ import annotations

from collections.abc import Iterable

from docclean import formats
from docclean.progress import grey_pages

#: The engine's steps that can be turned off, one checkbox each: (CleanSettings field, label, tooltip).
STEPS = (
    ("auto_levels", "Auto levels", "Bring a dark or washed-out scan to ordinary paper and contrast before cleaning "
     "(the model erases more faint ink on such scans)"),
    ("keep_solids", "Keep solid black areas", "Keep black bars, boxes, logos and bands with white writing as the "
     "scan has them (the model hollows wide dark areas as if they were stains, and blurs narrow label bars)"),
    ("clear_surround", "Clear the dark surround", "Paint the scanner's dark surround white (a page on a black lid "
     "or a dark table), where the model leaves a dark rim around the page"),
    ("clear_shading", "Clear shaded boxes", "Clean flat grey boxes and bands behind text (a form's shaded cells) to "
     "paper with their writing on it, where the model draws a dark frame around them"),
    ("keep_pictures", "Keep pictures as scanned", "Keep photographs and banners (rectangles of continuous tone with "
     "sharp sides) as the scan has them; the model turns them into line drawings"),
    ("keep_color_marks", "Keep coloured marks", "On a colour scan, keep stamps, signatures and pen in strongly "
     "coloured ink where they cross printed text; the model erases them there as if they were stains"),
    ("keep_box_writing", "Keep writing in form boxes", "Clean faint writing between two rules (pencil in a form's "
     "boxes) again with the rules painted out; the model clears it there as if it were a shaded row"),
)
#: What the panel calls each setting it shows (its label), for messages that name a setting.
LABELS = {"model": "Model", "backend": "Backend", "device": "Device", "precision": "Precision",
          "threads": "Threads", "tile_size": "Tile size", "overlap": "Tile size", "batch_size": "Batch size",
          "max_stroke": "Widest stroke", "dpi": "PDF dpi", "color": "Keep colour",
          "binarize": "Black and white (1-bit)", "threshold": "Fixed threshold",
          "keep_faint": "Keep faint marks touching strokes", "remove_show_through": "Remove show-through",
          "ink_warning": "Ink warning", "fmt": "Format", "overwrite": "Overwrite existing files",
          **{name: label for name, label, _ in STEPS}}


def setting_label(name: str) -> str:
    """The panel's label of the setting ``name`` (a CleanSettings field), or the name itself."""
    return LABELS.get(name, name)


def one_bit_note(binarize: bool, fmt: str | None, open_formats: Iterable[str]) -> str:
    """What to say beside "Black and white" when an export would not keep its 1-bit pages: the
    format chosen (``fmt``), or with "same as input" (None) a format of the open files (the names
    ``open_formats``), has none (``docclean.formats.NO_ONE_BIT``); "" when it would. The preview
    shows 1-bit pages either way, and the export said so only once it had written them."""
    if not binarize:
        return ""
    grey = [f for f in formats.NO_ONE_BIT if f.name == fmt or (fmt is None and f.name in set(open_formats))]
    if not grey:
        return ""
    which = formats.named(grey)
    written = (f"the export writes {grey_pages(grey)}" if fmt is not None else
               f'"same as input" exports the {which} scans as {grey_pages(grey)}')
    has = "have" if len(grey) > 1 else "has"
    return (f"{which} {has} no 1-bit pages: {written}, not 1-bit as previewed. For 1-bit pages choose "
            f"{formats.named(formats.ONE_BIT, 'or')} (Export > Format).")
