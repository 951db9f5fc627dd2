"""Why a file of one pair folder found no partner in the other, when a near miss explains it.

Pairing is by exact relative path and stem (``docclean.pairs``), so ``SCAN111.JPG`` does not pair
with ``scan111.png``, and a multi-page scan ``book.tif`` does not pair with the page files
``book-p001.png``, ``book-p002.png``, ... that ``docclean clean`` writes for it. A bare "no clean
page named ..." leaves the user looking for a file that is plainly there; these notes say what
differs and how to make the files pair.
"""

from __future__ import annotations

from pathlib import Path

from docclean.originals import page_base

Key = tuple[str, ...]
"""A file's relative folder parts and stem, as ``docclean.pairs`` pairs them."""


def unsupported_note(unsupported: dict[Key, list[Path]], key: Key) -> str:
    """Why a page has no partner when its partner is there in a format docclean cannot read ("" if not)."""
    paths = unsupported.get(key)
    if not paths:
        return ""
    return f" ({', '.join(map(str, paths))} {'is' if len(paths) == 1 else 'are'} in an unsupported format)"


def _page_base(key: Key) -> Key | None:
    """The key of the multi-page file a page file's key names (``book-p001`` -> ``book``), or None."""
    base = page_base(key[-1])
    return (*key[:-1], base) if base is not None else None


class NearMisses:
    """One folder's files (``pages``: by key, as ``docclean.pairs`` indexes them), indexed once so
    each file left out of the other folder is explained without comparing it with every name."""

    def __init__(self, pages: dict[Key, list[Path]], side: str) -> None:
        self.side = side  # "noisy" or "clean": the folder these pages are in
        self.by_case: dict[Key, list[Path]] = {}
        self.page_files: dict[Key, list[Path]] = {}
        self.pages = pages
        for key, paths in pages.items():
            self.by_case.setdefault(tuple(part.casefold() for part in key), []).extend(paths)
            base = _page_base(key)
            if base is not None:
                self.page_files.setdefault(base, []).extend(paths)

    def note(self, path: Path, key: Key) -> str:
        """Why ``path`` (of the other folder than these pages', with ``key``) has no partner among
        these pages, starting "; ", or "" when no near miss explains it."""
        own_side = "clean" if self.side == "noisy" else "noisy"
        other = self.by_case.get(tuple(part.casefold() for part in key), [])
        if other:
            return (f"; {other[0]} differs from its name only in case (names must match exactly, capitals "
                    "included): rename one of them")
        advice = "give the {split} pages as one multi-page file, or split {whole} the same way"
        split = sorted(self.page_files.get(key, []))
        if split:  # this file is whole; the other folder holds its pages one by one
            files = f"{split[0].name} to {split[-1].name}, {len(split)} files" if len(split) > 1 else split[0].name
            return (f"; the {self.side} pages are split into page files ({files}), which pair with no "
                    "multi-page file: " + advice.format(split=self.side, whole=path.name))
        base = _page_base(key)
        whole = self.pages.get(base, []) if base is not None else []
        if whole:  # this file is one page of a file the other folder holds whole
            return (f"; it is a page file of {whole[0]}, which the {self.side} folder holds whole, and page files pair "
                    "with no multi-page file: " + advice.format(split=own_side, whole=whole[0].name))
        return ""
