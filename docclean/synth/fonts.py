"""Typefaces for synthetic pages: freely licensed fonts from Debian packages, with a fallback.

Families and the Debian packages that provide them (see ``docs/synthetic.md``):

* ``serif``: DejaVu Serif (fonts-dejavu-core), Liberation Serif (fonts-liberation), FreeSerif
  (fonts-freefont-ttf);
* ``sans``: DejaVu Sans, Liberation Sans / Sans Narrow, FreeSans;
* ``mono`` (typewriter): DejaVu Sans Mono, Liberation Mono, FreeMono;
* ``hand`` (handwriting-like): Dancing Script (fonts-dancingscript), dkg handwriting
  (fonts-dkg-handwriting), Humor Sans (fonts-humor-sans).

A family whose files are all missing falls back to Pillow's built-in font, so synthetic pages (and
the tests) work on a machine with no fonts installed; they are just less varied.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))

FAMILIES: dict[str, tuple[str, ...]] = {
    "serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf", "liberation/LiberationSerif-Regular.ttf",
              "liberation/LiberationSerif-Italic.ttf", "liberation/LiberationSerif-Bold.ttf",
              "freefont/FreeSerif.ttf", "freefont/FreeSerifItalic.ttf", "dejavu/DejaVuSerifCondensed.ttf"),
    "sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSans-ExtraLight.ttf",
             "liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf",
             "liberation/LiberationSansNarrow-Regular.ttf", "freefont/FreeSans.ttf",
             "dejavu/DejaVuSansCondensed.ttf"),
    "mono": ("dejavu/DejaVuSansMono.ttf", "liberation/LiberationMono-Regular.ttf", "freefont/FreeMono.ttf",
             "freefont/FreeMonoBold.ttf", "liberation/LiberationMono-Bold.ttf"),
    "hand": ("dancingscript/DancingScript-Regular.otf", "dancingscript/DancingScript-Bold.otf",
             "fifthhorseman/dkg.ttf", "fifthhorseman/dkgIt.ttf", "humor-sans/Humor-Sans.ttf"),
}

#: The Debian package that installs each folder of :data:`FAMILIES` (docs/synthetic.md).
PACKAGES = {"dejavu": "fonts-dejavu-core", "liberation": "fonts-liberation", "freefont": "fonts-freefont-ttf",
            "dancingscript": "fonts-dancingscript", "fifthhorseman": "fonts-dkg-handwriting",
            "humor-sans": "fonts-humor-sans"}


def missing_fonts_note() -> str | None:
    """None when every typeface file is installed, else one line that says how many are missing
    and which Debian packages bring them: synthetic pages then use fewer typefaces, and a seed
    renders different pages than on a machine that has them all."""
    wanted = [rel for files in FAMILIES.values() for rel in files]
    missing = [rel for rel in wanted if not any((root / rel).is_file() for root in FONT_DIRS)]
    if not missing:
        return None
    packages = sorted({PACKAGES[rel.split("/")[0]] for rel in missing})
    return (f"{len(missing)} of {len(wanted)} typeface files for synthetic pages are not installed, so pages have "
            f"fewer typefaces and a seed renders other pages than where they are: apt-get install {' '.join(packages)}")


@lru_cache(maxsize=None)
def available_fonts(family: str) -> tuple[Path, ...]:
    """The installed font files of ``family`` (possibly none)."""
    found = []
    for rel in FAMILIES[family]:
        for root in FONT_DIRS:
            if (root / rel).is_file():
                found.append(root / rel)
                break
    return tuple(found)


@lru_cache(maxsize=512)
def _load(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def pick_font(family: str, size_px: int, rng: np.random.Generator) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A random installed font of ``family`` at ``size_px`` pixels, or Pillow's built-in font."""
    size_px = max(int(size_px), 6)
    files = available_fonts(family)
    if not files:
        return _load(None, size_px)
    return _load(str(files[int(rng.integers(len(files)))]), size_px)
