"""`docclean vae`: train a variational autoencoder on Fashion-MNIST, evaluate it, and draw pictures
of a trained run (latent space, decoded manifold, prior samples, interpolations).

Declarations only: the work is in ``training.suite.vae`` and ``training.suite.vae_pictures``. Errors print one line
and exit 1; usage errors (bad options, a test index out of range, a picture name with an ending we
cannot write) exit 2. Counts that size a picture are bounded, so a typo cannot ask for a picture of
gigabytes; seeds take 0..4294967295 (32 bits, as every docclean command's: ``cli.options``).
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors
from cli.options import OutOpt, seed_option
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

app = typer.Typer(help="Variational autoencoders on Fashion-MNIST: train, evaluate, draw.", no_args_is_help=True)

RunArg = Annotated[Path, typer.Argument(help="A run folder written by `docclean vae train` (or one of its "
                                             "checkpoints).")]


class Arch(str, Enum):
    """Network families."""

    mlp = "mlp"
    conv = "conv"


@app.command()
def train(
    out: TrainOut,
    arch: Annotated[Arch, typer.Option(
        help="mlp (784-256-latent) or conv (strided convolutions 32-64-128).")] = Arch.conv,
    latent_dim: Annotated[int, typer.Option(min=1, help="Size of the latent code.")] = 2,
    beta: Annotated[float, typer.Option(min=0.0, help="Weight of the KL term: 1 plain VAE, >1 beta-VAE.")] = 1.0,
    epochs: Annotated[int, typer.Option(min=1, help=EPOCHS_HELP)] = 15,
    lr: Annotated[float, typer.Option(min=0.0, help="Peak Adam learning rate (cosine schedule).")] = 1e-3,
    batch_size: Annotated[int, typer.Option(min=1, help="Images per batch.")] = 128,
    patience: Annotated[int, typer.Option(min=0, help=PATIENCE_HELP)] = 10,
    limit: Annotated[int | None, typer.Option(min=2, help=LIMIT_HELP)] = None,
    seed: Annotated[int, seed_option("Seed for weights, shuffling and latent samples ({range}; the validation "
                                     "split always uses seed 0).")] = 0,
    device: Device = "auto",
    threads: Threads = 0,
    data_dir: DataDir = None,
    download: Download = False,
    verify: Verify = True,
    resume: Resume = True,
) -> None:
    """Train a VAE on Fashion-MNIST, with progress bars, early stopping and resume; writes checkpoints,
    metrics.csv, loss.png and reconstructions.png to --out (a new or empty folder, or one holding an earlier
    run of the suite), and prints the reconstructions' path."""
    import torch

    from cli.progress import RichProgressCallback
    from cli.stopping import continue_hint, exit_stopped, stoppable
    from training.loop import FitConfig
    from training.suite.vae import VAETaskConfig, train_vae

    if threads:
        torch.set_num_threads(threads)
    task = VAETaskConfig(arch=arch.value, latent_dim=latent_dim, beta=beta, batch_size=batch_size,
                         data_dir=data_dir, verify=verify, download=download, limit=limit)
    fit_config = FitConfig(out_dir=out, epochs=epochs, lr=lr, patience=patience or None, seed=seed, device=device,
                           resume=resume)
    with reported_errors(), stoppable() as stop, \
            RichProgressCallback(show=("train_loss", "val_loss", "val_recon", "val_kl")) as progress:
        result = train_vae(task, fit_config, callbacks=[progress], should_stop=stop)
    exit_stopped(stop, continue_hint(out, resume))  # Ctrl-C or SIGTERM: the state is saved
    if result.unused:
        typer.echo(f"note: {result.unused}", err=True)
    typer.echo(out / "reconstructions.png")


@app.command("eval")
def evaluate(
    run: RunArg,
    data_dir: RunDataDir = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N test images.")] = None,
    seed: Annotated[int, seed_option("Seed of the one latent sample per image")] = 0,
    device: Device = "auto",
    download: Download = False,
    verify: VerifyRun = None,
) -> None:
    """Print the test negative ELBO (beta = 1), reconstruction and KL, in nats per image."""
    from training.suite.vae import load_test_set, load_vae, negative_elbo

    with reported_errors():
        model, meta = load_vae(run, device)
        images, _ = load_test_set(meta, data_dir, limit, verify, download)
        result = negative_elbo(model, images, seed=seed)
    typer.echo(f"test negative ELBO {result['nelbo']:.2f} nats per image "
               f"(reconstruction {result['recon']:.2f}, KL {result['kl']:.2f}) on {len(images)} test images")


@app.command()
def latent(
    run: RunArg, out: OutOpt = None, data_dir: RunDataDir = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Plot only the first N test images.")] = None,
    device: Device = "auto",
    download: Download = False,
    verify: VerifyRun = None,
) -> None:
    """Scatter the test images' latent means by class (a PCA projection when the latent has D > 2)."""
    from training.suite.vae_pictures import latent_picture

    with reported_errors():
        typer.echo(latent_picture(run, out, data_dir, limit, verify, download, device))


@app.command()
def manifold(
    run: RunArg, out: OutOpt = None,
    n: Annotated[int, typer.Option("-n", min=2, max=40, help="Images per side of the grid (2 to 40: the grid "
                                                              "is one picture).")] = 15,
    device: Device = "auto",
) -> None:
    """Decode an n x n grid over a 2-D latent plane, spaced by prior quantiles (needs D = 2)."""
    from training.suite.vae_pictures import manifold_picture

    with reported_errors():
        typer.echo(manifold_picture(run, out, n, device))


@app.command()
def sample(
    run: RunArg, out: OutOpt = None,
    n: Annotated[int, typer.Option("-n", min=1, max=1024, help="Number of samples (1 to 1024: they are drawn "
                                                               "as one picture, 32 x 32 at most).")] = 64,
    seed: Annotated[int, seed_option("Seed of the prior draws")] = 0,
    device: Device = "auto",
) -> None:
    """Decode N codes drawn from the prior N(0, I)."""
    from training.suite.vae_pictures import samples_picture

    with reported_errors():
        typer.echo(samples_picture(run, out, n, seed, device))


@app.command()
def interpolate(
    run: RunArg,
    first: Annotated[int, typer.Argument(min=0, help="Test-set index of the first image.")],
    second: Annotated[int, typer.Argument(min=0, help="Test-set index of the second image.")],
    out: OutOpt = None, data_dir: RunDataDir = None,
    steps: Annotated[int, typer.Option(min=2, max=50, help="Decoded points along the line (2 to 50: they are "
                                                           "drawn as one row).")] = 10,
    device: Device = "auto",
    download: Download = False,
    verify: VerifyRun = None,
) -> None:
    """Decode points on the line between the latent means of test images FIRST and SECOND."""
    from training.suite.vae_pictures import interpolation_picture

    with reported_errors():
        typer.echo(interpolation_picture(run, first, second, out, steps, data_dir, verify, download, device))
