"""Deciding before cleaning: is the output path usable, which outputs exist whole, which pages to do.

``check_output`` refuses, before any work, an output that cannot be right (an existing file where
a folder is needed, an input folder, a file name with several inputs). ``plan_job`` counts a
file's pages, chooses its page targets and the pages still to do; an existing output counts as
done only when it is whole (``output_complete``), so a zero-byte or truncated file left by another
tool or a crash is redone; a file with an output's name that is no file of its format at all (not
an output of ours) is never replaced, and with ``--overwrite`` neither is a file where an original may
stand (the output folder holds the inputs, or scans no output of the run explains:
``docclean.originals``). An
output name longer than its file system takes, a FIFO and a symbolic link loop fail with plain
reasons before anything opens them (``docclean.places``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docclean import formats
from docclean import io as pageio
from docclean.discover import Job, Keys, input_folder, path_key
from docclean.errors import DocCleanError, InputError, OutputError, UsageError
from docclean.originals import check_beside
from docclean.originals import page_owner as page_owner  # named here too: a page file's name is the plan's
from docclean.pagememory import pixel_limit
from docclean.places import name_too_long, path_too_long, same_folder, user_path
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.resume import PageStore


@dataclass
class Plan:
    """What the runner decided for a job before cleaning: its page targets and the pages to do."""

    targets: list[Path] = field(default_factory=list)
    pages: int = 0
    pending: list[int] = field(default_factory=list)
    per_page: bool = False
    error: str | None = None
    store: PageStore | None = None
    """For a multi-page output: the work folder that keeps finished pages across interruptions."""
    stamp: PageStore | None = None
    """For page files: the stamp kept while they are written (``PageStore.begin``)."""
    left_over: list[Path] = field(default_factory=list)
    """Page files of an earlier run that this one does not replace (``docclean.leftover``)."""


def describe(source: Path, exc: BaseException) -> str:
    """A reason that starts with the source file, on one line: a library's line breaks in the
    reason become spaces; the file's name is kept as it is (the report names the real file; a
    front end shows what is unprintable in it)."""
    return f"{source}: {describe_reason(source, exc)}"


def describe_reason(source: Path, exc: BaseException) -> str:
    """Why ``source`` failed, on one line, as :func:`describe` gives it after the file's name: a
    :class:`DocCleanError`'s own ``reason`` when it is about ``source`` (or no file), else its
    whole message; any other exception as an unexpected error."""
    if isinstance(exc, DocCleanError):
        about_source = exc.path is None or path_key(exc.path) == path_key(source)
        reason = exc.reason if about_source else str(exc)
    else:
        reason = f"unexpected error: {type(exc).__name__}: {exc}"
    return " ".join(reason.split())


def page_target(target: Path, index: int) -> Path:
    """Where page ``index`` of a multi-page source goes when its format holds one page."""
    return target.with_name(f"{target.stem}-p{index + 1:03d}{target.suffix}")


#: Why a page output may not be written: it is an input file, or another input's output.
AN_INPUT = "refusing to write over an input file; choose another output folder"
ANOTHERS_OUTPUT = "this page output is already the output of another input"


def check_output(inputs: list[str], output: Path, fmt: str | None = None) -> bool:
    """UsageError for an output path that cannot work; True when ``output`` names the one output
    file of a single input file (``-o clean.png``), False when it is a folder. ``fmt``, the
    ``--format`` asked for, must then agree with that file's name."""
    too_long = path_too_long(output)
    if too_long is not None:  # every look at it would fail with ENAMETOOLONG
        raise UsageError(too_long, settings=("output",))
    for item in inputs:
        folder = input_folder(item)  # a glob's folder too: `'scans/*.png' -o scans --format pdf`
        # By device and inode too: a bind mount, or Scans and scans on a case-insensitive volume.
        if folder is not None and same_folder(folder, output):
            raise UsageError("the output folder is an input folder; choose another output folder "
                             "(a rerun would otherwise clean its own outputs)", output, settings=("output",))
    if output.is_dir():
        return False
    if output.suffix.lower() in formats.OTHER_IMAGE_SUFFIXES and not output.exists():
        endings = ", ".join(f.suffixes[0] for f in formats.FORMATS if f.writable)
        raise UsageError(f"docclean cannot write {output.suffix} files; end the output's name with one of "
                         f"{endings}, or give a folder", output, settings=("output",))
    single = len(inputs) == 1 and user_path(inputs[0]).is_file()
    looks_like_file = formats.by_suffix(output) is not None
    if output.exists() or output.is_symlink():
        if not (single and looks_like_file):
            raise UsageError("the output exists and is not a folder", output, settings=("output",))
        if not _starts_like_its_format(output):
            # Not an output of ours, whole or cut short, but some other file with that name.
            raise UsageError(f"the output exists and is no {formats.by_suffix(output).name} file; remove it "
                             "or choose another name", output, settings=("output",))
    elif looks_like_file and not single:
        raise UsageError("the output looks like a file name, but there are several inputs (or a folder); "
                         "give an output folder", output, settings=("output",))
    if looks_like_file and fmt is not None and fmt.lower() != "same" \
            and formats.by_name(fmt) is not formats.by_suffix(output):
        raise UsageError(f"the output file name ends {output.suffix}, but the format asked for is {fmt}; "
                         "make them agree", output, settings=("fmt",))
    return looks_like_file


def _check_output_folder(target: Path) -> None:
    """OutputError if a path on the way to ``target``'s folder exists but is not a folder."""
    for folder in (target.parent, *target.parent.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise OutputError("the output folder is not a folder (a file of that name exists)", folder)
            return


#: How each output format's files begin.
_MAGIC = {"png": lambda head: head.startswith(b"\x89PNG"), "jpeg": lambda head: head.startswith(b"\xff\xd8"),
          "pdf": lambda head: head.startswith(b"%PDF"), "bmp": lambda head: head.startswith(b"BM"),
          "webp": lambda head: head.startswith(b"RIFF") and head[8:12] == b"WEBP",
          "tiff": lambda head: head[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")}


def begins_like_its_format(name: str | Path, head: bytes) -> bool:
    """Whether a file called ``name`` whose first bytes are ``head`` (16 are enough) begins as a
    file of the format its name says: an output, whole or cut short, not some other file that
    happens to have that name. An empty file holds nothing to lose: a crash's leftover, redone
    like a truncated output."""
    fmt = formats.by_suffix(Path(str(name)))
    return fmt is not None and (not head or _MAGIC.get(fmt.name, lambda head: True)(head))


def _starts_like_its_format(path: Path) -> bool:
    """:func:`begins_like_its_format` for a local file; False for what is no regular file."""
    if not path.is_file():  # a folder, a FIFO (opening it would wait forever), a device, a broken link
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return begins_like_its_format(path, head)


def foreign_reason(target: str | Path) -> str:
    """Why a file with an output's name that is no output of ours (see :func:`begins_like_its_format`)
    is not replaced: redoing it as a broken output would replace someone's file."""
    return (f"something that is no {formats.by_suffix(Path(str(target))).name} file has this output's name "
            "(not an earlier output); move it or choose another output folder")


def is_foreign(target: Path) -> bool:
    """Whether something other than an output of ours (whole or cut short) has the target's name."""
    return (target.exists() or target.is_symlink()) and not _starts_like_its_format(target)


def check_not_foreign(target: Path) -> None:
    """OutputError (:func:`foreign_reason`) when :func:`is_foreign`."""
    if is_foreign(target):
        raise OutputError(foreign_reason(target), target)


def output_complete(path: Path) -> bool:
    """True when ``path`` is a whole output file: not empty, and its format's ending is there (PNG
    IEND, JPEG EOI, PDF %%EOF, BMP and WebP declared sizes, TIFF's last page decodes)."""
    try:
        size = path.stat().st_size
        if size == 0 or not path.is_file():
            return False
        fmt = formats.by_suffix(path)
        name = fmt.name if fmt else ""
        with path.open("rb") as fh:
            head = fh.read(16)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        if not _MAGIC.get(name, lambda head: True)(head):
            return False
        if name == "png":
            return b"IEND" in tail[-12:]
        if name == "jpeg":
            return tail.rstrip(b"\x00").endswith(b"\xff\xd9")
        if name == "pdf":
            return b"%%EOF" in tail
        if name == "bmp":
            return int.from_bytes(head[2:6], "little") <= size
        if name == "webp":
            return int.from_bytes(head[4:8], "little") + 8 <= size
        if name == "tiff":
            from PIL import Image

            with Image.open(path) as im:
                im.seek(getattr(im, "n_frames", 1) - 1)
                im.load()
            return True
    except Exception:  # any failure to read it means it is not a whole output
        return False
    return True


def plan_job(job: Job, settings: CleanSettings, inputs: Keys | set[Path], claimed: Keys | set[Path]) -> Plan:
    """Count pages, choose page targets and the pages still to do; raises DocCleanError. A page
    target may not be one of ``inputs`` nor of ``claimed`` (the outputs so far, to which it is
    added), compared as the output volume compares names where they are
    :func:`docclean.discover.plan_keys`' (``Scan-p001.png`` is ``scan-p001.png`` on macOS)."""
    plan = Plan()
    if job.error is not None:
        plan.error = f"{job.source}: {job.error}"
        return plan
    _check_name(job, job.target)
    _check_output_folder(job.target)
    if settings.overwrite:  # replacing is what loses an original; a skip leaves it as it is
        check_beside(job, [job.target])
    if not settings.overwrite and output_complete(job.target):
        # Done by an earlier run: no need to open the source at all (fast resume of big batches).
        plan.targets = [job.target]
        return plan
    check_not_foreign(job.target)  # only here: a whole output begins like its format
    plan.pages = pageio.count_pages(job.source, pixel_limit(settings.max_pixels))
    if plan.pages < 1:
        raise InputError("contains no pages", job.source)
    fmt = formats.by_suffix(job.target)
    plan.per_page = plan.pages > 1 and not (fmt is not None and fmt.multi_page)
    plan.targets = [page_target(job.target, i) for i in range(plan.pages)] if plan.per_page else [job.target]
    from docclean.resume import PageStore

    stamp = PageStore(job.target, job.source, settings) if plan.per_page else None
    redo = settings.overwrite or (stamp is not None and stamp.stamped() is False)  # every page file replaced
    for target in plan.targets if plan.per_page else ():
        _check_name(job, target)
        if redo:
            check_beside(job, [target])
        if redo or not output_complete(target):
            check_not_foreign(target)
        key = path_key(target)
        if key in inputs:
            raise OutputError(AN_INPUT, target)
        if key in claimed:
            raise OutputError(ANOTHERS_OUTPUT, target)
        claimed.add(key)
    if stamp is not None:
        plan.stamp = stamp
        plan.pending = stamp.page_files_to_do(plan.targets, settings.overwrite, clear=not settings.dry_run)
    elif plan.pages > 1:
        plan.store = PageStore(job.target, job.source, settings)
        done = plan.store.done(plan.pages, settings.overwrite, clear=not settings.dry_run)
        plan.pending = [i for i in range(plan.pages) if i not in done]
    else:
        plan.pending = list(range(plan.pages))
    if settings.dry_run and fmt is not None and fmt.max_side is not None and plan.pending:
        # What the run would refuse before cleaning a page (docclean.filerun), a dry run foresees.
        sizes = pageio.page_sizes(job.source, plan.pending, settings.dpi)
        for index, (width, height) in zip(plan.pending, sizes):
            formats.check_page_size(fmt, (height, width), index, job.source)
    return plan


def _check_name(job: Job, target: Path) -> None:
    """OutputError (naming the source) when ``target``'s name is longer than its file system takes."""
    reason = name_too_long(target)
    if reason is not None:
        raise OutputError(reason, job.source)
