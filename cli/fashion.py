"""`docclean fashion`: train, evaluate, compare and probe autoencoders on Fashion-MNIST.

Declarations only: options are parsed here and handed to ``training.suite.fashion`` and
``training.suite.fashion_eval``; a DocCleanError prints one line and exits 1, a bad option value exits 2.
The options the suite's three command groups share come from ``cli.suite_options``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli.errors import reported_errors
from cli.options import seed_option
from cli.progress import RichProgressCallback
from cli.suite_options import (
    EPOCHS_HELP,
    LIMIT_HELP,
    PATIENCE_HELP,
    DataDir,
    Device,
    Download,
    Resume,
    RunDataDir,
    Threads,
    TrainOut,
    Verify,
    VerifyRun,
)
from docclean.places import user_path

app = typer.Typer(help="Autoencoders on Fashion-MNIST: dense, sparse, deep, contractive, convolutional and denoising.",
                  no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


class Arch(str, Enum):
    dense = "dense"
    sparse = "sparse"
    deep = "deep"
    contractive = "contractive"
    conv = "conv"


class Noise(str, Enum):
    gaussian = "gaussian"
    salt_pepper = "salt-pepper"


class Loss(str, Enum):
    bce = "bce"
    mse = "mse"


RunDir = Annotated[Path, typer.Argument(help="A run folder written by `docclean fashion train`.")]


@app.command()
def train(
    out: TrainOut,
    arch: Annotated[Arch, typer.Option(help="Network: dense 784-32-784, sparse (L1 on the code), deep, contractive "
                                            "(sigmoid code, Jacobian penalty), conv.")] = Arch.dense,
    noise: Annotated[Noise | None, typer.Option(
        help="Train a denoiser: corrupt inputs, score on clean targets.")] = None,
    noise_level: Annotated[float | None, typer.Option(
        help="Gaussian factor (default 0.5) or salt-and-pepper fraction (default 0.1).")] = None,
    contractive_weight: Annotated[float | None, typer.Option(
        min=0.0, help="Weight of the squared Frobenius norm of the encoder's Jacobian (--arch contractive; "
                      "default 0.1).")] = None,
    epochs: Annotated[int, typer.Option(min=1, help=EPOCHS_HELP)] = 20,
    loss: Annotated[Loss, typer.Option(help="bce (per-pixel binary cross-entropy) or mse.")] = Loss.bce,
    optimizer: Annotated[str, typer.Option(help="adam, adamw, sgd, rmsprop or adadelta.")] = "adam",
    lr: Annotated[float, typer.Option(min=0.0, help="Peak learning rate (cosine schedule).")] = 2e-3,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 256,
    patience: Annotated[int, typer.Option(min=0, help=PATIENCE_HELP)] = 5,
    limit: Annotated[int | None, typer.Option(min=2, help=LIMIT_HELP)] = None,
    seed: Annotated[int, seed_option("Seed for weights, shuffling and noise ({range}; the validation split "
                                     "always uses seed 0).")] = 0,
    device: Device = "auto",
    threads: Threads = 0,
    data_dir: DataDir = None,
    download: Download = False,
    verify: Verify = True,
    resume: Resume = True,
) -> None:
    """Train one autoencoder; writes checkpoints, metrics.csv, loss.png and reconstructions.png to --out
    (a new or empty folder, or one holding an earlier run of the suite), and prints the reconstructions'
    path."""
    import torch

    from cli.stopping import continue_hint, exit_stopped, stoppable
    from training.loop import FitConfig
    from training.suite.fashion import FashionTaskConfig, train_fashion

    if threads:
        torch.set_num_threads(threads)
    task = FashionTaskConfig(arch=arch.value, loss=loss.value, noise=noise.value if noise else None,
                             noise_level=noise_level, contractive_weight=contractive_weight,
                             batch_size=batch_size, limit=limit,
                             data_dir=str(user_path(data_dir).absolute()) if data_dir else None, verify=verify)
    fit_config = FitConfig(out_dir=out, epochs=epochs, lr=lr, optimizer=optimizer, patience=patience or None,
                           seed=seed, device=device, resume=resume)
    with reported_errors(), stoppable() as stop, \
            RichProgressCallback(err_console, show=("train_loss", "val_loss", "val_bce")) as bar:
        result = train_fashion(task, fit_config, download=download, callbacks=[bar], should_stop=stop)
    exit_stopped(stop, continue_hint(out, resume))  # Ctrl-C or SIGTERM: the state is saved
    if result.unused:
        typer.echo(f"note: {result.unused}", err=True)
    typer.echo(out / "reconstructions.png")


@app.command("eval")
def evaluate(run_dir: RunDir, data_dir: RunDataDir = None, device: Device = "auto", download: Download = False,
             verify: VerifyRun = None) -> None:
    """Score a run's best checkpoint on the 10,000 test images (per-pixel BCE and MSE); writes eval.json
    (a run folder that cannot take it is still scored: a warning says so)."""
    from docclean.errors import OutputError
    from training.suite.fashion_eval import save_scores, score_run

    with reported_errors():
        result = score_run(run_dir, data_dir, download, device, verify)
    noise = f" (noisy inputs: {result['noise']} {result['noise_level']:g})" if result["noise"] else ""
    typer.echo(f"{run_dir}: {result['arch']}{noise}: test BCE {result['test_bce']:.4f}, "
               f"MSE {result['test_mse']:.5f} on {result['test_images']} images")
    try:
        save_scores(run_dir, result)
    except OutputError as exc:  # a read-only run: the scores are the result, and they are printed
        _not_saved(exc.path, exc.reason)


def _not_saved(path: Path | None, reason: str) -> None:
    typer.echo(f"warning: {path}: {reason}; they are printed above only", err=True)


@app.command()
def compare(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run folders to compare.")],
    plot: Annotated[str | None, typer.Option(help="Where to draw the validation curves, in the format its ending "
                                                     "names (.png, .jpg, .jpeg, .svg or .pdf; a folder, or a name "
                                                     "ending in /: fashion-compare.png in it; default: beside the "
                                                     "first run).")] = None,
    table: Annotated[Path | None, typer.Option(help="Also write the table as markdown here.")] = None,
    data_dir: RunDataDir = None,
    device: Device = "auto",
    download: Download = False,
    verify: VerifyRun = None,
) -> None:
    """Compare runs in one table (test BCE, best val BCE, seconds per epoch) and one plot. Runs whose
    scores are computed afresh keep them in their eval.json; a read-only run is still compared."""
    from training.run_folder import writing_in
    from training.suite.fashion_eval import compare_runs, markdown_table, plot_runs
    from training.suite.fashion_runs import fashion_runs
    from training.suite.plots import PICTURE_SUFFIXES, picture_target

    with reported_errors():
        target = picture_target(plot, run_dirs[0].parent, "fashion-compare.png", setting="plot")
    # `compare runs/*` meets its own plot
    run_dirs = [d for d in run_dirs if d.is_dir() or d.suffix.lower() not in PICTURE_SUFFIXES]
    with reported_errors():
        run_dirs, others = fashion_runs(run_dirs)
        for run, reason in others:
            typer.echo(f"warning: {run}: {reason} (left out)", err=True)
        unreadable: list[tuple[Path, str]] = []  # runs whose test data cannot be read: left out as the others are
        rows = compare_runs(run_dirs, None, data_dir, device, download=download, verify=verify, left_out=unreadable)
        for run, reason in unreadable:
            typer.echo(f"warning: {run}: {reason} (left out)", err=True)
        run_dirs = [row.run_dir for row in rows if row.run_dir is not None]  # those compared
    view = Table("run", "arch", "noise", "epochs", "best epoch", "best val BCE", "test BCE", "s/epoch")
    for r in rows:
        view.add_row(r.name, r.arch, r.noise, str(r.epochs), str(r.best_epoch), f"{r.best_val_bce:.4f}",
                     f"{r.test_bce:.4f}", f"{r.seconds_per_epoch:.1f}")
    console.print(view)
    for run, row in zip(run_dirs, rows):
        if row.unsaved:
            _not_saved(run / "eval.json", row.unsaved)
    with reported_errors():
        if table:
            with writing_in(table, "write the table"):
                table.write_text(markdown_table(rows))
        plot_runs(rows, run_dirs, target)
    typer.echo(f"plot: {target}")


@app.command()
def anomalies(
    run_dir: RunDir,
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=100,
                                       help="Images to show in each row (1 to 100).")] = 10,
    data_dir: RunDataDir = None,
    device: Device = "auto",
    download: Download = False,
    verify: VerifyRun = None,
) -> None:
    """Rank test images by reconstruction error; draws the most and least typical to anomalies.png."""
    from training.suite.fashion_eval import rank_anomalies

    with reported_errors():
        report = rank_anomalies(run_dir, count, data_dir, device, download=download, verify=verify)
    worst = ", ".join(f"#{i} (MSE {report.errors[i]:.4f})" for i in report.atypical[:5])
    typer.echo(f"least typical test images: {worst}")
    typer.echo(f"grid: {report.plot}; full ranking: {report.table}")
