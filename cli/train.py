"""``docclean train``: fine-tune (or train from scratch) the page denoiser on your own scan pairs.

Declarations only: the flags become a ``training.retrain_config.RetrainConfig`` and the work is
``training.retrain.retrain``. Heavy imports happen inside the command, so ``docclean --help``
stays fast.
"""

from __future__ import annotations

import re
import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors
from cli.options import seed_option
from cli.stopping import exit_stopped
from docclean.errors import Terminated
from docclean.places import user_path


def _seconds(text: str | None) -> float | None:
    """'90', '90s', '10m', '2h' -> seconds."""
    from docclean.errors import UsageError

    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not match:
        raise UsageError(f"{text!r} is not a duration such as 90s, 10m or 2h", settings=("max_time",))
    seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if seconds <= 0:  # one batch, then a resume hint that could never finish an epoch
        raise UsageError(f"{text!r}: the time must be more than 0", settings=("max_time",))
    return seconds


def _absolute(path: Path | None) -> str | None:
    """A folder as a resolved absolute path, so ``--resume`` works from any working folder and the
    same command rerun through ``..`` or a symlink names the same folder."""
    return None if path is None else str(user_path(path).resolve())


def _resume_hint(out: Path) -> str:
    return f"continue with: docclean train --resume {out}"


def stopped_outside_batches(exc: BaseException, flag, out: Path) -> None:  # type: ignore[no-untyped-def]
    """A run stopped while it read or scored pages, or at once by a second signal: say how to go
    on (resume when the run folder holds the run, else the command again), exit 130 or 143."""
    from training.retrain_config import CONFIG_NAME

    hint = (_resume_hint(out) if (out / CONFIG_NAME).is_file()
            else "nothing was saved; run the command again to start")
    if not flag.requested:  # a stop the flag did not see (a Ctrl-C before the handlers were in place)
        flag.set(signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)
    exit_stopped(flag, hint)


def disk_full(exc: BaseException, out: Path) -> BaseException:
    """``exc`` as it is reported, but a full disk (or quota: :class:`DiskFullError`, as the run's
    writers raise it through ``training.run_folder.writing_in``) also says how to go on once there is
    space, as a stop does: what was saved stays whole, so the run resumes from its last checkpoint.
    A bare OSError is classified as those writers classify it (``run_folder.output_error``)."""
    from docclean.errors import DiskFullError
    from training.retrain_config import CONFIG_NAME
    from training.run_folder import output_error

    full = output_error("write in the run folder", exc, out) if isinstance(exc, OSError) else exc
    if not isinstance(full, DiskFullError):
        return exc
    hint = (_resume_hint(out) if (out / CONFIG_NAME).is_file() else "run the command again")
    return DiskFullError(f"{full.reason}; once there is space, {hint}", full.path)


def train(
    ctx: typer.Context,
    noisy: Annotated[Path | None, typer.Option(help="Folder of noisy scans.", show_default=False)] = None,
    clean: Annotated[Path | None, typer.Option(
        help="Folder of clean pages, paired with the scans by relative path and name (any format; every page of "
             "multi-page files).", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Run folder (new, empty or an earlier run's; apart from the data folders): config, command, "
             "metrics.csv, loss.png, samples.png, best.safetensors.",
        show_default=False)] = None,
    resume: Annotated[Path | None, typer.Option(
        help="Continue the run in this folder with its own data and options; only --epochs, --max-time, --patience, "
             "--lr and --device may be given anew.", show_default=False)] = None,
    from_model: Annotated[str, typer.Option(
        "--from", help="Fine-tune this model: 'default' (the shipped one), 'fast' (the built-in half-width one), "
                       "'marks' (the built-in one that keeps marks over text) or a .safetensors file (such as an "
                       "earlier run's best.safetensors).")] = "default",
    scratch: Annotated[bool, typer.Option("--scratch", help="Train a new model from scratch instead.")] = False,
    val_fraction: Annotated[float, typer.Option(
        min=0.01, max=0.9, help="Share of pairs held out for validation (scans of one original stay together).")]
    = 0.2,
    val_noisy: Annotated[Path | None, typer.Option(help="A separate validation folder of noisy scans.",
                                                   show_default=False)] = None,
    val_clean: Annotated[Path | None, typer.Option(help="... and its clean pages.", show_default=False)] = None,
    group: Annotated[str | None, typer.Option(
        help="Regular expression searched in each noisy file's path relative to --noisy (a/p1_2.png); its first "
             "group (or whole match) names pages that must stay together, and a file it does not match is a group "
             "of its own (default: pages with identical clean pages).", show_default=False)] = None,
    epochs: Annotated[int, typer.Option(min=1, help="Maximum number of epochs.")] = 40,
    max_time: Annotated[str | None, typer.Option(
        help="Stop after this much training time (90s, 10m, 2h); the best checkpoint is kept. When it ends the "
             "run before --epochs, the cosine learning rate is fitted into the time (after the first epoch, into the "
             "epochs that still fit, as measured), so the run ends at a low rate. Applies to this command only: a "
             "later --resume runs without it unless given again, and then finishes the schedule as fitted; given "
             "again, the rest of the schedule is fitted into the new time.",
        show_default=False)] = None,
    patch_size: Annotated[int, typer.Option(min=32, help="Edge of the random training crops, in pixels.")] = 192,
    batch_size: Annotated[int, typer.Option(min=1, help="Crops per optimisation step.")] = 12,
    batches_per_epoch: Annotated[int, typer.Option(min=1, help="Optimisation steps per epoch.")] = 40,
    lr: Annotated[float | None, typer.Option(
        help="Peak learning rate (cosine schedule).", show_default="3e-4 fine-tuning, 1e-3 from scratch")] = None,
    patience: Annotated[int, typer.Option(min=1, help="Stop after this many epochs without a better "
                                                      "validation RMSE.")] = 12,
    synthetic: Annotated[int, typer.Option(
        min=0, help="Mix in this many extra pairs made by laying synthetic damage over your clean pages.")] = 0,
    allow_swapped: Annotated[bool, typer.Option(
        "--allow-swapped", help="Train even when the clean pages look like scans of their noisy pages (nearly every "
                                "pair: --noisy and --clean look swapped), which is refused otherwise.")] = False,
    seed: Annotated[int, seed_option("Random seed, {range}: a CPU run with the same seed is reproduced.")] = 0,
    device: Annotated[str, typer.Option(help="auto (CUDA with mixed precision, else MPS, else the CPU, in bf16 "
                                             "mixed precision where it has native bf16), cpu (fp32), cuda or "
                                             "mps.")] = "auto",
) -> None:
    """Fine-tune the denoiser on your own noisy/clean scan pairs; the result is RUN/best.safetensors,
    ready for `docclean clean --model RUN/best.safetensors`.

    Bad pairs (missing partners, pages of different sizes) are named before training starts, and
    --noisy and --clean folders that look swapped (nearly every clean page less even and less white
    than its scan) are refused. Each epoch's line shows its time, validation included.
    Ctrl-C or SIGTERM saves and stops (exit 130 or 143); `--resume RUN` carries on where it stopped.
    A fine-tuning run scores the model it starts from first, and warns when no epoch beats it; any run
    warns when its best epoch leaves the validation pages worse than the uncleaned scans.

    Examples:

      docclean train --noisy scans/noisy --clean scans/clean --out runs/mine --max-time 10m

      docclean train --resume runs/mine
    """
    import dataclasses

    from cli.progress import RichProgressCallback
    from cli.stopping import stoppable
    from docclean.errors import Cancelled, DiskFullError, UsageError
    from training.retrain import result_warnings, retrain
    from training.retrain_config import FREE_OPTIONS, RetrainConfig, model_option, rerun_config

    def given(name: str) -> bool:  # by name: Typer may carry its own copy of click's enum
        return getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"

    command = shlex.join(["docclean", "train", *sys.argv[2:]]) if sys.argv[1:2] == ["train"] else None
    with reported_errors():
        if resume is not None:
            # What a rerun may change (training.retrain_config.FREE_OPTIONS) may be given anew; the folder is
            # --resume itself. Any other option would be ignored, so it is refused.
            flags = {p.name: p.opts[0] for p in ctx.command.params}
            free = [name for name in flags if name in FREE_OPTIONS and name != "out"]
            ignored = [flags[name] for name in flags if name not in free and name != "resume" and given(name)]
            if ignored:
                raise UsageError(f"{', '.join(ignored)}: a resumed run keeps its own data and options "
                                 f"(RUN/retrain.json); only {', '.join(flags[n] for n in free)} may change")
            cfg = RetrainConfig.load(resume)
            # Read from ctx.params, the same parameters ``free`` was drawn from, so every free option has
            # a value here; only --max-time needs turning into the config's seconds.
            values = {**ctx.params, "max_time": _seconds(max_time)}
            # The folder given, wherever the run was started from (it may have been moved).
            cfg = dataclasses.replace(cfg, out=_absolute(resume),
                                      **{name: values[name] for name in free if given(name)})
        else:
            if noisy is None or clean is None or out is None:
                raise UsageError("give --noisy, --clean and --out (or --resume RUN)")
            # Options that would be silently ignored are refused, so the run is the one asked for.
            if scratch and given("from_model"):
                raise UsageError("a run from scratch starts from no model; give --scratch or --from, not both",
                                 settings=("scratch",))
            if val_noisy is not None and given("val_fraction"):
                raise UsageError("the validation folders are the validation set; give --val-fraction or "
                                 "--val-noisy/--val-clean, not both", settings=("val_fraction",))
            if (val_noisy is not None or val_clean is not None) and given("group"):
                raise UsageError("the validation folders are the validation set, with no split to keep groups "
                                 "together in; give --group or --val-noisy/--val-clean, not both", settings=("group",))
            cfg = RetrainConfig(
                noisy=_absolute(noisy), clean=_absolute(clean), out=_absolute(out), val_noisy=_absolute(val_noisy),
                val_clean=_absolute(val_clean), val_fraction=val_fraction, group=group,
                init="scratch" if scratch else model_option(from_model), epochs=epochs, max_time=_seconds(max_time),
                patch_size=patch_size, batch_size=batch_size, batches_per_epoch=batches_per_epoch, lr=lr,
                patience=patience, synthetic=synthetic, allow_swapped=allow_swapped, seed=seed, device=device)
            # The first command again, into a folder whose run has begun: it goes on as --resume would, with
            # the run's own --epochs, --lr, --patience and --device unless they are given anew.
            cfg = rerun_config(cfg, {name for name in FREE_OPTIONS if given(name)})
        # The device, the starting model and the run folder are checked by retrain, before any page is
        # read or file written.

        def found(train_pages: int, synthetic: int, val_pages: int) -> None:  # files left out: told by warn
            made = f" pages ({synthetic} of them synthetic)" if synthetic else ""
            typer.echo(f"{train_pages + synthetic} training{made} and {val_pages} validation pages", err=True)

        with stoppable() as flag:
            try:
                shown = ("train_loss", "val_rmse", "val_raw_rmse")
                with RichProgressCallback(show=shown, description="epochs") as bars:
                    result = retrain(cfg, callbacks=[bars], should_stop=flag, command=command,
                                     on_split=found, interrupt=flag, phase=bars.phase,
                                     warn=lambda text: typer.echo(f"warning: {text}", err=True))
            except (KeyboardInterrupt, Cancelled) as exc:  # stopped outside a batch, or a second signal: at once
                stopped_outside_batches(exc, flag, Path(cfg.out))
            except DiskFullError as exc:  # the run's writers raise it (training.run_folder.writing_in)
                raise disk_full(exc, Path(cfg.out)) from None
    for text in result_warnings(result, Path(cfg.out)):
        typer.echo(f"warning: {text}", err=True)
    if result.unused:  # a rerun that trained nothing: its new options were not used
        typer.echo(f"note: {result.unused}", err=True)
    if result.best_path.is_file():
        typer.echo(result.best_path)
    elif result.stopped_at is not None:  # part way through the first epoch: weights kept to resume from, not a model
        typer.echo(f"no epoch finished: no best model yet; {Path(cfg.out) / 'last.safetensors'} holds the weights "
                   "as they stopped (not validated), to resume from", err=True)
    else:
        typer.echo("no epoch finished: no model was written", err=True)
    hint = _resume_hint(Path(cfg.out))
    if result.stopped:  # a signal that came after the last epoch stopped nothing: the run finished, exit 0
        exit_stopped(flag, hint)  # Ctrl-C or SIGTERM: 130 or 143, as docclean clean gives
        typer.echo(f"stopped; {hint}", err=True)  # --max-time: the run is saved and may go on
