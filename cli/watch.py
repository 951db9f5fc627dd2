"""``docclean watch``: clean scans as they arrive in a hot folder (see ``docclean.watch``).

The clean settings that change the output are declared once, in ``cli.clean``: this module takes
their ``Annotated`` declarations from ``clean``'s signature, so flags, help and limits stay the same
in both commands. Torch and the batch runner are imported inside the command, so ``docclean
--help`` stays fast. (No ``from __future__ import annotations`` here: the borrowed annotations are
objects, evaluated when the function is defined.)
"""

import inspect
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from cli import clean as clean_command
from cli.errors import error_line, shown
from docclean.errors import EXIT_TERMINATED, EXIT_USAGE, Cancelled, DocCleanError, exit_code
from docclean.settings import CleanSettings

_CLEAN = inspect.signature(clean_command.clean, eval_str=True).parameters
_DEFAULT = CleanSettings()

#: The ``clean`` options that shape the output, reused by ``watch``.
SHARED = ("model", "backend", "device", "precision", "threads", "tile_size", "batch_size", "max_stroke",
          "auto_levels", "keep_solids", "clear_surround", "clear_shading", "keep_pictures", "keep_color_marks",
          "keep_box_writing",
          "fmt", "dpi",
          "keep_color", "binarize", "threshold", "keep_faint", "remove_show_through", "max_pixels")


def _same_as_clean(name: str) -> Any:
    """The ``Annotated`` declaration (type, flag, help) of ``docclean clean``'s option ``name``."""
    return _CLEAN[name].annotation


def settings_from_options(values: dict[str, Any]) -> CleanSettings:
    """CleanSettings from the values of the :data:`SHARED` options (enums, ``--keep-color``)."""
    plain = {k: getattr(v, "value", v) for k, v in values.items() if k in SHARED}
    plain["color"] = "keep" if plain.pop("keep_color", False) else "gray"
    return CleanSettings(**plain)


def watch(
    inbox: Annotated[Path, typer.Argument(
        metavar="IN", show_default=False, help="The hot folder the scanner writes into (watched recursively).")],
    output: Annotated[Path, typer.Argument(
        metavar="OUT", show_default=False, help="Where cleaned pages go (IN's tree is mirrored).")],
    done: Annotated[Path | None, typer.Option(
        show_default=False, help="Move each input here once cleaned (default: leave it, recorded in "
                                 "OUT/.docclean-watch.json so it is not redone).")] = None,
    failed: Annotated[Path | None, typer.Option(
        show_default=False, help="Move inputs that cannot be cleaned here, each with NAME.error.txt giving "
                                 "the reason (default: leave and record them).")] = None,
    poll: Annotated[float | None, typer.Option(
        min=0.1, show_default="events; polls every 2 s on NFS/SMB",
        help="List the folder every this many seconds instead of waiting for file-system events.")] = None,
    settle: Annotated[float, typer.Option(
        min=0.0, help="Seconds a file's size and modification time must stay unchanged before it is "
                      "taken (a scanner may still be writing it).")] = 5.0,
    model: _same_as_clean("model") = _DEFAULT.model,
    backend: _same_as_clean("backend") = _DEFAULT.backend,
    device: _same_as_clean("device") = _DEFAULT.device,
    precision: _same_as_clean("precision") = _DEFAULT.precision,
    threads: _same_as_clean("threads") = None,
    tile_size: _same_as_clean("tile_size") = _DEFAULT.tile_size,
    batch_size: _same_as_clean("batch_size") = _DEFAULT.batch_size,
    max_stroke: _same_as_clean("max_stroke") = _DEFAULT.max_stroke,
    auto_levels: _same_as_clean("auto_levels") = _DEFAULT.auto_levels,
    keep_solids: _same_as_clean("keep_solids") = _DEFAULT.keep_solids,
    clear_surround: _same_as_clean("clear_surround") = _DEFAULT.clear_surround,
    clear_shading: _same_as_clean("clear_shading") = _DEFAULT.clear_shading,
    keep_pictures: _same_as_clean("keep_pictures") = _DEFAULT.keep_pictures,
    keep_color_marks: _same_as_clean("keep_color_marks") = _DEFAULT.keep_color_marks,
    keep_box_writing: _same_as_clean("keep_box_writing") = _DEFAULT.keep_box_writing,
    fmt: _same_as_clean("fmt") = None,
    dpi: _same_as_clean("dpi") = None,
    keep_color: _same_as_clean("keep_color") = False,
    binarize: _same_as_clean("binarize") = False,
    threshold: _same_as_clean("threshold") = None,
    keep_faint: _same_as_clean("keep_faint") = False,
    remove_show_through: _same_as_clean("remove_show_through") = False,
    max_pixels: _same_as_clean("max_pixels") = _DEFAULT.max_pixels,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print failed files and ink warnings.")] = False,
) -> None:
    """Clean scans as they arrive in IN, each file once, into OUT; runs until stopped.

    A file is taken only after its size and modification time have been stable for --settle
    seconds, then cleaned with the model loaded once at start, and moved to --done or --failed
    (or left and recorded). One line per file. File-system events are used where they work;
    network shares (NFS, SMB/CIFS) and --poll are polled. Ctrl-C or SIGTERM stop it: the file in
    hand is dropped (no partial output) and taken again at the next start. A full output disk
    does not stop it: the file in hand stays in IN and the watcher waits for space, trying again
    after 30 s, then less and less often (every 5 min at most).
    Exit codes: 1 the output folder cannot be used (another watcher writes to it, it cannot be
    written), 2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

    Example:

      docclean watch /srv/scans/in /srv/scans/clean --done /srv/scans/done --failed /srv/scans/failed
    """
    values = {name: value for name, value in locals().items() if name in SHARED}
    try:
        settings = settings_from_options(values)
    except DocCleanError as exc:
        typer.echo(error_line(exc, flags_in_text=True), err=True)
        raise typer.Exit(EXIT_USAGE) from None
    raise typer.Exit(run_watch(inbox, output, settings, done=done, failed=failed, poll=poll, settle=settle,
                               quiet=quiet))


def run_watch(inbox: Path, output: Path, settings: CleanSettings, *, done: Path | None, failed: Path | None,
              poll: float | None, settle: float, quiet: bool = False) -> int:
    """Load the model, watch until Ctrl-C or SIGTERM, print a line per file; returns the exit code."""
    from cli.clean_view import settings_line
    from docclean.batch import load_cleaner
    from docclean.signals import terminate_as_interrupt
    from docclean.watch import DEFAULT_POLL, Watcher, WatchOutcome
    from docclean.watchfs import polling_reason

    def show(outcome: WatchOutcome) -> None:
        if outcome.status == "failed" or not quiet:
            # One line a file, as docclean clean prints it: a newline in a name is shown escaped.
            typer.echo(shown(outcome.summary()), err=outcome.status == "failed")
        for warning in outcome.warnings:  # as docclean clean prints them, --quiet or not
            typer.echo(shown(f"warning: {outcome.source}: {warning}"), err=True)

    watcher = None
    with terminate_as_interrupt():
        try:
            watcher = Watcher(inbox, output, settings, done=done, failed=failed, settle=settle, on_outcome=show,
                              on_notice=lambda text: typer.echo(settings_line(text), err=True))
            with watcher.holding():  # a second watcher on this output stops before loading a model
                watcher.cleaner = cleaner = load_cleaner(settings)  # once, before the first file arrives
                reason = polling_reason(watcher.inbox, poll)
                how = f"polling every {poll or DEFAULT_POLL:g} s ({reason})" if reason else "file-system events"
                if not quiet:
                    typer.echo(shown(f"watching {watcher.inbox} -> {watcher.output} ({how}, settle {settle:g} s, "
                                     f"model {cleaner.model_path or settings.model}); Ctrl-C to stop"), err=True)
                watcher.run(threading.Event(), poll=poll)
        except (DocCleanError, OSError) as exc:  # a bad folder or model; the output disk failing
            typer.echo(error_line(exc, flags_in_text=True), err=True)
            return exit_code(exc)
        except (KeyboardInterrupt, Cancelled) as exc:
            code = exit_code(exc)
            dropped = watcher.in_hand if watcher is not None else None
            left = f" ({dropped} was dropped and will be taken again at the next start)" if dropped else ""
            stopped = "terminated" if code == EXIT_TERMINATED else "interrupted"
            typer.echo(shown(f"{stopped}; stopped watching{left}"), err=True)
            return code
    return 0
