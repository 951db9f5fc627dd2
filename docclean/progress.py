"""The progress and cancel protocol of a batch, down to tiles.

:func:`docclean.batch.clean_batch` calls these methods as it works; every method is a no-op, so a
front end overrides only what it shows: the CLI draws a rich progress bar, the GUI emits Qt
signals, a cluster runner counts pages across workers. ``cancelled`` is polled between tiles, so a
Stop button takes effect within one batch of tiles even on a 600-dpi page.

Order: ``on_plan`` now and then while the files are checked, ``on_engine_starting`` and
``on_engine_started`` while an engine starts (Ray only), ``on_start`` once; per file that
gets cleaned ``on_file_start``, then per page ``on_tile_done`` after each batch of tiles and
``on_page_done`` (when the cleaned page is handed to the writer thread; its file is written, or
failed, by the time ``on_file_done`` comes); ``on_file_done`` for every file, whatever its status;
``on_warning`` whenever something is worth a line; ``on_finish`` once unless
the run was interrupted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats

if TYPE_CHECKING:
    from docclean.discover import Job
    from docclean.report import FileResult, PageResult, Report


#: ``on_warning`` kinds: a page where cleaning removed more dark strokes than ``ink_warning`` allows,
#: and a warning a decoder (Pillow, libtiff) raised while reading the file.
WARN_INK, WARN_DECODER = "ink", "decoder"
#: ``on_warning`` kind of docclean's own word about an input file that is cleaned but loses
#: something on the way, shown without ``--verbose``: a PDF's searchable text, which the cleaned
#: pages (images) do not keep. Readers raise it as an :class:`InputWarning`.
WARN_INPUT = "input"
#: ``on_warning`` kind of a run-wide warning about the settings, said once before any page (its
#: source is ""): binarized pages going into formats without 1-bit pages (:class:`BinarizedWarning`).
WARN_SETTINGS = "settings"
#: ``on_warning`` kind of the files of other types an input folder holds, which are not cleaned
#: (source: the input folder), said once per folder before any page (:func:`warn_left_out`).
WARN_LEFT_OUT = "left out"


def grey_pages(fmts: Sequence[formats.Format]) -> str:
    """What binarized pages become in ``fmts`` (formats without 1-bit pages): "8-bit grey", with
    compression fringes where docclean writes a format lossy ("8-bit grey, JPEG with compression
    fringes" when only some are)."""
    lossy = [f for f in fmts if f.lossy]
    if not lossy:
        return "8-bit grey"
    if len(lossy) == len(fmts):
        return "8-bit grey with compression fringes"
    return f"8-bit grey, {formats.named(lossy)} with compression fringes"


class BinarizedWarning(str):
    """The run-wide warning when binarized pages are written into ``formats``, the formats among the
    run's outputs that hold no 1-bit pages (``formats.NO_ONE_BIT``, in that order): Pillow stores the
    black and white page in them as 8-bit grey. The text names the formats that do hold 1-bit pages;
    it is a ``str`` (the report keeps it as text), and carries ``formats`` so a front end can say it
    in its own words (the CLI names ``--format``)."""

    formats: tuple[formats.Format, ...]

    def __new__(cls, fmts: Sequence[formats.Format]) -> BinarizedWarning:
        fmts = tuple(fmts)
        text = (f"{formats.named(fmts)} cannot hold 1-bit pages, so binarized pages written as "
                f"{formats.named(fmts, 'or')} are {grey_pages(fmts)}; write "
                f"{formats.named(formats.ONE_BIT, 'or')} for 1-bit pages")
        warning = super().__new__(cls, text)
        warning.formats = fmts
        return warning

    def __reduce__(self) -> tuple[type, tuple[tuple[formats.Format, ...]]]:
        return BinarizedWarning, (self.formats,)  # a str subclass pickles by its text alone otherwise


#: The warning of a run whose binarized pages go into JPEG alone (:class:`BinarizedWarning`).
BINARIZED_JPEG = BinarizedWarning((formats.by_name("jpeg"),))


def no_one_bit(targets: Iterable[str | Path]) -> tuple[formats.Format, ...]:
    """The formats of ``targets`` (output paths, by suffix) that hold no 1-bit pages, in the order
    of ``formats.NO_ONE_BIT``; the walk ends once every such format is found."""
    wanted, found = set(formats.NO_ONE_BIT), set()
    for target in targets:
        fmt = formats.by_suffix(target)
        if fmt in wanted:
            found.add(fmt)
            if len(found) == len(wanted):
                break
    return tuple(f for f in formats.NO_ONE_BIT if f in found)


def warn_settings(progress: CleanProgress, report: Report, binarize: bool, targets: Iterable[str | Path]) -> None:
    """Before any page: when binarized pages will be written into formats without 1-bit pages
    (``targets``: the outputs of the files that will be cleaned), say the :class:`BinarizedWarning` for
    those formats once (``on_warning`` of kind :data:`WARN_SETTINGS`) and keep it in the report's
    ``warnings``. Every engine calls it, so the command line, the desktop app and a cluster run all
    say it."""
    grey = no_one_bit(targets) if binarize else ()
    if grey:
        message = BinarizedWarning(grey)
        report.warnings.append(message)
        progress.on_warning("", message, WARN_SETTINGS)


def warn_left_out(progress: CleanProgress, report: Report, left_out: dict[str, list[Path]],
                  own: Path | None = None) -> None:
    """Before any page: for each input folder in ``left_out`` (``docclean.discover``'s, by input
    item), say that its files of other types are not cleaned (``on_warning`` of kind
    :data:`WARN_LEFT_OUT`) and keep the line in the report's ``warnings``. ``own``: a file of the
    run's own (its ``--report``) that lies in an input folder, which is no one's left-out scan."""
    from docclean.discover import left_out_message, path_key

    mine = path_key(own) if own is not None else None
    for item, found in left_out.items():
        # Only a file of the report's name can be it: no real path for each of thousands of others.
        files = [f for f in found if mine is None or f.name != mine.name or path_key(f) != mine]
        if not files:
            continue
        message = left_out_message(files)
        report.warnings.append(f"{item}: {message}")
        progress.on_warning(item, message, WARN_LEFT_OUT)


def warn_inputs(progress: CleanProgress, report: Report, warned: Iterable[tuple[str, str]]) -> None:
    """Before any page: say each of discovery's warnings (``docclean.discover``'s ``warn(item,
    message)``: the output folder inside an input folder holds scans no output explains) with kind
    :data:`WARN_LEFT_OUT` and keep the line in the report's ``warnings``. Every engine calls it."""
    for item, message in warned:
        report.warnings.append(f"{item}: {message}")
        progress.on_warning(item, message, WARN_LEFT_OUT)


class InputWarning(UserWarning):
    """A reader's warning about its input that the user must see (``warnings.warn(message,
    InputWarning)``; ``docclean.pdf`` says a PDF's text layer is not kept): it travels like a
    decoder's warning, into the file's record, and is told with kind :data:`WARN_INPUT`, its
    message as it is."""


class CleanProgress:
    """Progress callbacks of a batch; override what you need."""

    def on_plan(self, done: int, total: int) -> None:
        """Before ``on_start``: ``done`` of the ``total`` files found have been checked (pages
        counted, outputs already there looked for). Told a few times a second while a big batch is
        planned (20,000 files take seconds, a million minutes), so a front end can show life."""

    def on_engine_starting(self, what: str) -> None:
        """Before ``on_start``: an engine that takes seconds to start (the Ray engine) is at
        ``what`` ("starting Ray", "starting Ray workers"), so a front end can say what it waits for."""

    def on_engine_started(self, seconds: float) -> None:
        """Before ``on_start``: the engine is up after ``seconds``, which ``report.seconds`` leaves
        out (``Report.startup_seconds`` keeps them)."""

    def on_start(self, files: int, pages: int) -> None:
        """``files`` jobs in all; ``pages`` pages will actually be cleaned (skips excluded)."""

    def on_file_start(self, job: Job, pages: int) -> None:
        """``job`` starts; ``pages`` of its pages will be cleaned."""

    def on_tile_done(self, job: Job, page: int, done: int, total: int) -> None:
        """``done`` of the ``total`` tiles of page ``page`` (0-based) of ``job`` are cleaned."""

    def on_page_done(self, job: Job, page: PageResult) -> None:
        """A page was cleaned and written (``page.index``, ``page.seconds``, ``page.ink_loss``)."""

    def on_file_done(self, result: FileResult) -> None:
        """A file finished as cleaned, skipped, failed, interrupted or would clean."""

    def on_warning(self, source: str, message: str, kind: str = WARN_DECODER) -> None:
        """Something about ``source`` worth telling: ``kind`` :data:`WARN_INK` for a page that lost
        ink (always shown), :data:`WARN_DECODER` for a library's warning while reading it,
        :data:`WARN_INPUT` for what cleaning it does not keep (:class:`InputWarning`; always shown),
        :data:`WARN_SETTINGS` (source "") for one about the whole run's settings (always shown),
        :data:`WARN_LEFT_OUT` for an input folder's files that are not cleaned (always shown)."""

    def on_finish(self, report: Report) -> None:
        """The batch is over."""

    def cancelled(self) -> bool:
        """Return True to stop the batch at the next batch of tiles."""
        return False


class TileProgress:
    """What the engine needs while it cleans one page: a tile callback and a cancel check.
    The batch runner adapts :class:`CleanProgress` to it for the page in hand."""

    def tile_done(self, done: int, total: int) -> None:
        """``done`` of ``total`` tiles are finished."""

    def cancelled(self) -> bool:
        """True to stop before the next batch of tiles."""
        return False
