"""Noisy/clean page pairs from two folders: found, checked and split before any training or scoring.

Retraining starts from two folders a user made (scans, and clean versions of them). Files pair by
relative path and stem, whatever their formats (``noisy/a/p1.jpg`` with ``clean/a/p1.png``), and
every page of a multi-page file pairs with the same page of its partner. What cannot be paired is
listed with the reason (files in a format docclean cannot read are counted, never silently
dropped), and each pair is checked up front (sizes within a few pixels, a clean page that is not
blank), so a bad pair is named before training, not after an hour. Splitting pairs into training
and validation is ``docclean.pairsplit``'s; whether a pair looks swapped, ``docclean.pairs_swap``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from docclean import formats
from docclean import io as pageio
from docclean.errors import Cancelled, DataError, DocCleanError, UsageError
from docclean.pairs_align import align, shift_text
from docclean.pairs_names import NearMisses, unsupported_note
from docclean.walk import other_files, walk_folder

#: Noisy and clean pages may differ in size by this many pixels (scanner cropping, a trimmed clean
#: page); both are then cropped to the common size where they line up best (``docclean.pairs_align``).
SIZE_TOLERANCE = 4


@dataclass(frozen=True)
class Pair:
    """One noisy page and its clean target: files, 0-based page index and the noisy folder the
    pair was found in (``root``; not part of a pair's identity)."""

    noisy: Path
    clean: Path
    page: int = 0
    root: Path | None = field(default=None, compare=False)

    @property
    def relative(self) -> str:
        """The noisy file's path relative to its folder, with "/" between folders (``a/p1.png``);
        the file name when the folder is unknown."""
        if self.root is None:
            return self.noisy.name
        return self.noisy.relative_to(self.root).as_posix()

    @property
    def name(self) -> str:
        return self.relative + (f"[page {self.page + 1}]" if self.page else "")


@dataclass
class PairScan:
    """The pairs found, what could not be paired (path and reason) and, of those, ``broken``: pairs
    whose files do not open (noisy file, the problem naming the file at fault), refused by training."""

    pairs: list[Pair] = field(default_factory=list)
    unmatched: list[tuple[Path, str]] = field(default_factory=list)
    broken: list[tuple[Path, str]] = field(default_factory=list)


#: Files a desktop puts in any folder it shows (Explorer's, Finder's own is hidden): not the user's pages.
_DESKTOP_FILES = frozenset({"thumbs.db", "desktop.ini"})


@dataclass
class _Folder:
    """One side's files: the readable ones by relative folder and stem, and those in a format
    docclean cannot read (counted and named, never silently dropped)."""

    pages: dict[tuple[str, ...], list[Path]] = field(default_factory=dict)
    unsupported: dict[tuple[str, ...], list[Path]] = field(default_factory=dict)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)
    """Folders that could not be listed, with the reason: their pages are not paired."""

    def summary(self) -> str | None:
        """How many files are of types docclean does not read, by suffix (in the words ``docclean
        clean`` uses, ``docclean.walk.other_files``), or None when there are none."""
        files = [p for paths in self.unsupported.values() for p in paths]
        return other_files(files) if files else None


def _index(root: Path) -> _Folder:
    """One side's files, walked as ``docclean clean`` walks a folder (``docclean.walk``: links to
    folders followed, each folder once; hidden files and folders, .DS_Store among them, skipped),
    so training, scoring and cleaning see the same files."""
    found = _Folder()
    others: list[Path] = []
    # Sorted whole: the order pairs were always listed in (a run's stored page list depends on it).
    def unreadable(folder: Path, exc: OSError) -> None:
        found.unreadable.append((folder, f"cannot read this folder ({exc.strerror or exc}); its pages are not paired"))

    for path in sorted([*walk_folder(root, None, others=others.append, unreadable=unreadable), *others]):
        if path.name.lower() in _DESKTOP_FILES:
            continue
        relative = path.relative_to(root)
        key = (*relative.parent.parts, relative.stem)
        (found.pages if formats.is_supported(path) else found.unsupported).setdefault(key, []).append(path)
    return found


def left_out(path: Path, reason: str) -> str:
    """The warning, without its "warning: ", for a file of :attr:`PairScan.unmatched` (``path`` and
    ``reason``): ``docclean train`` and ``docclean eval`` both tell them in these words."""
    return f"{path}: {reason} (left out)"


def find_pairs(noisy_dir: str | Path, clean_dir: str | Path) -> PairScan:
    """Pair the pages of two folders by relative path and stem (any supported format, every page of
    multi-page files). Files in an unsupported format are left out, with one ``unmatched`` line per
    folder counting them. DataError when a folder is missing or empty or nothing pairs at all;
    UsageError when the two folders are one, or every noisy file is its own clean page (a model
    would learn nothing and score perfectly)."""
    noisy_root, clean_root = Path(noisy_dir), Path(clean_dir)
    for root in (noisy_root, clean_root):
        if not root.is_dir():
            found = "a file, not a folder" if root.exists() else "folder not found"
            raise DataError(f"{found} (expected a folder of noisy and a folder of clean pages)", root)
    if noisy_root.resolve() == clean_root.resolve():
        raise UsageError(f"the noisy and the clean folder are one folder ({clean_root}); the clean pages need a "
                         "folder of their own", noisy_root)
    noisy, clean = _index(noisy_root), _index(clean_root)
    scan = PairScan(unmatched=[*noisy.unreadable, *clean.unreadable])
    near = {"noisy": NearMisses(noisy.pages, "noisy"), "clean": NearMisses(clean.pages, "clean")}
    self_paired: list[Path] = []
    for key, paths in noisy.pages.items():
        partners = clean.pages.get(key, [])
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            scan.unmatched.extend((p, f"several noisy files share this name with different suffixes ({names})")
                                  for p in paths)
            scan.unmatched.extend((p, f"several noisy files share its name with different suffixes ({names}), so it "
                                      "pairs with none of them") for p in partners)
            continue
        if len(partners) > 1:
            scan.unmatched.append((paths[0], f"several clean pages match it: {', '.join(map(str, partners))}"))
            continue
        if not partners:
            why = unsupported_note(clean.unsupported, key) + near["clean"].note(paths[0], key)
            scan.unmatched.append((paths[0], f"no clean page named {Path(*key)}.* in {clean_root}{why}"))
            continue
        if paths[0].resolve() == partners[0].resolve():  # a link to the scan is no clean version of it
            self_paired.append(paths[0])
            scan.unmatched.append((paths[0], f"the same file as its clean page {partners[0]}"))
            continue
        try:
            n_pages, c_pages = pageio.count_pages(paths[0]), pageio.count_pages(partners[0])
        except DocCleanError as exc:
            scan.broken.append((paths[0], str(exc) if exc.path in (paths[0], partners[0]) else
                                f"{paths[0]}: unreadable pair ({exc})"))
            scan.unmatched.append((paths[0], exc.reason if exc.path == paths[0] else
                                   f"unreadable clean page ({exc})" if exc.path == partners[0] else
                                   f"unreadable pair ({exc})"))
            continue
        if n_pages != c_pages:
            scan.unmatched.append((paths[0], f"{n_pages} pages but its clean file has {c_pages}"))
            continue
        scan.pairs.extend(Pair(paths[0], partners[0], i, noisy_root) for i in range(n_pages))
    for key, paths in clean.pages.items():
        if key not in noisy.pages:
            scan.unmatched.extend((p, "clean page without a noisy page" + unsupported_note(noisy.unsupported, key)
                                   + near["noisy"].note(p, key)) for p in paths)
    if scan.pairs:
        scan.unmatched.extend((root, why) for root, why in
                              ((noisy_root, noisy.summary()), (clean_root, clean.summary())) if why)
        return scan
    if self_paired:
        raise UsageError(f"every noisy file that pairs is its own clean page ({len(self_paired)}, e.g. "
                         f"{self_paired[0]}); the clean folder must hold clean versions of the scans", noisy_root)
    if not noisy.pages and not noisy.unsupported:  # not "N clean pages without a noisy page": the cause is here
        raise DataError("no noisy/clean pairs found: the folder holds no files", noisy_root)
    reasons = []
    if scan.unmatched:
        why = _listing([f"{path}: {reason}" for path, reason in scan.unmatched], 5)
        reasons.append(f"{len(scan.unmatched)} files could not be paired: {why}")
    reasons += [f"{why} in {root}" for root, why in ((noisy_root, noisy.summary()), (clean_root, clean.summary()))
                if why]
    supported = ", ".join(sorted(formats.SUPPORTED_SUFFIXES))
    if noisy.unsupported or clean.unsupported:
        reasons[-1] += f"; docclean reads {supported}"
    raise DataError(f"no noisy/clean pairs found ({'; '.join(reasons)})", noisy_root)


def _listing(items: list[str], limit: int) -> str:
    """The first ``limit`` items joined by "; ", then "; and N more" for the rest: a user sees what
    kind of problem it is without a message of hundreds of lines."""
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


def _size_problem(a: tuple[int, int], b: tuple[int, int], tolerance: int) -> str | None:
    """Why pages of (width, height) ``a`` and ``b`` cannot pair, or None when they can."""
    if abs(a[0] - b[0]) <= tolerance and abs(a[1] - b[1]) <= tolerance:
        return None
    # A page read turned a quarter against its partner is the classic stray or missing EXIF tag.
    turned = abs(a[1] - b[0]) <= tolerance and abs(a[0] - b[1]) <= tolerance and a[0] != a[1]
    return f"more than {tolerance} pixels apart" + ("; a quarter turn apart: check the EXIF orientation of both"
                                                    if turned else "")


def check_pairs(pairs: list[Pair], tolerance: int = SIZE_TOLERANCE) -> list[str]:
    """One line per pair that cannot be trained on: sizes (as read, see :func:`docclean.io.page_size`)
    that differ by more than ``tolerance`` pixels, unreadable files. Reads headers only."""
    problems = []
    for pair in pairs:
        try:
            a, b = pageio.page_size(pair.noisy, pair.page), pageio.page_size(pair.clean, pair.page)
        except Exception as exc:  # any decoder failure names the pair
            problems.append(f"{pair.noisy}: cannot read the pair ({type(exc).__name__}: {exc})")
            continue
        why = _size_problem(a, b, tolerance)
        if why:
            problems.append(f"{pair.noisy}: {_size_text(pair, a, b, why)}")
    return problems


def _size_text(pair: Pair, a: tuple[int, int], b: tuple[int, int], why: str) -> str:
    return f"page {pair.page + 1} is {a[0]}x{a[1]} but {pair.clean} is {b[0]}x{b[1]} ({why})"


def unusable(problems: list[str]) -> DataError:
    """The one error for pairs that cannot be used: their count and the first ten reasons."""
    return DataError(f"{len(problems)} pair(s) cannot be used: {_listing(problems, 10)}")


def read_pair(pair: Pair, tolerance: int = SIZE_TOLERANCE, *, blank_ok: bool = False,
              notes: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The noisy and clean grey pages (float32 0..1) of the common size, lined up where they match
    best when their sizes differ (``docclean.pairs_align``; one line saying so appended to
    ``notes``). DataError for pages more than ``tolerance`` pixels apart in size (checked on the
    decoded pages too, whatever a header said) and, unless ``blank_ok`` (scoring: a blank sheet is
    a fair test page), for a blank clean page: nothing to learn from, usually a wrong file."""
    noisy = page_of(pair.noisy, pair.page)
    clean = page_of(pair.clean, pair.page)
    a, b = (noisy.shape[1], noisy.shape[0]), (clean.shape[1], clean.shape[0])
    why = _size_problem(a, b, tolerance)
    if why:
        raise DataError(_size_text(pair, a, b, why), pair.noisy)
    noisy, clean, shift = align(noisy, clean)
    if shift is not None and notes is not None:
        notes.append(f"{pair.noisy}: page {pair.page + 1} is {a[0]}x{a[1]} but {pair.clean} is {b[0]}x{b[1]}; "
                     f"lined up where they match best (the clean page {shift_text(shift)} over the scan), both "
                     f"cropped to {noisy.shape[1]}x{noisy.shape[0]}")
    if not blank_ok and float(clean.max()) - float(clean.min()) < 0.05:
        raise DataError(f"the clean page {pair.page + 1} is blank (one grey level)", pair.clean)
    return noisy, clean


def read_pairs(pairs: list[Pair], keep: Callable[[np.ndarray], np.ndarray] | None = None, *,
               notes: list[str] | None = None, stop: Callable[[], bool] | None = None,
               known: list[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`read_pair` of every pair, each page passed through ``keep`` as read (many pages kept in
    a smaller type); one DataError (:func:`unusable`) naming, after the ``known`` problems (files that
    would not open), every pair that cannot be read (a blank clean page, sizes apart, a file that does
    not decode), so a user fixes them all at once. ``notes``: see :func:`read_pair`. ``stop``: asked
    before each pair; True raises :class:`~docclean.errors.Cancelled` (a Ctrl-C amid big pages)."""
    pages, problems = [], list(known or ())
    for pair in pairs:
        if stop is not None and stop():
            raise Cancelled("stopped while the pages were read")
        try:
            noisy, clean = read_pair(pair, notes=notes)
            pages.append((keep(noisy), keep(clean)) if keep is not None else (noisy, clean))
        except DocCleanError as exc:  # InputError (a truncated file) and DataError alike
            problems.append(str(exc))
    if problems:
        raise unusable(problems)
    return pages


def page_of(path: Path, index: int) -> np.ndarray:
    """Page ``index`` (from 0) of the file ``path`` as grey 0..1, that page alone decoded;
    InputError when it has no such page."""
    return pageio.read_page(path, index).gray
