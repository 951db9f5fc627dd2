"""`docclean faces`: deep convolutional (denoising) autoencoders on the Olivetti faces.

Declarations only: the work is in ``training.suite.faces`` and ``training.suite.faces_eval``. Errors
print one line and exit with the code ``cli.errors`` documents.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import reported_errors
from cli.options import OutOpt, seed_option
from cli.suite_options import EPOCHS_HELP, VERIFY_AS_TRAINED, Device, Resume, Threads, TrainOut
from docclean.places import user_path

app = typer.Typer(help="Autoencoders on the Olivetti faces: train, evaluate on unseen people, draw.",
                  no_args_is_help=True)

# The faces' data options, worded as Fashion-MNIST's (cli.suite_options). There is no --download: the file
# has no official home to fetch it from and check it against (its author's page is gone); put
# olivettifaces.mat in the data folder by hand.
DataDir = Annotated[Path | None, typer.Option(help="Folder with olivettifaces.mat (default: $DOCCLEAN_DATA/olivetti, "
                                                       "else ~/.cache/docclean/olivetti).")]
RunDataDir = Annotated[Path | None, typer.Option(
    help="Folder with olivettifaces.mat (default: the one the run was trained on, else $DOCCLEAN_DATA/olivetti or "
         "~/.cache/docclean/olivetti).")]
VERIFY_HELP = "Check the data file's published SHA-256 (--no-verify for own copies)."
Verify = Annotated[bool, typer.Option(help=VERIFY_HELP)]
VerifyRun = Annotated[bool | None, typer.Option(help=VERIFY_HELP, show_default=VERIFY_AS_TRAINED)]
RunArg = Annotated[Path, typer.Argument(help="A run folder written by `docclean faces train` (or one of its "
                                             "checkpoints).")]
CountOpt = Annotated[int, typer.Option("-n", min=1, max=100, help="Test faces to show (1 to 100, one column "
                                                                  "each).")]


class Noise(str, Enum):
    gaussian = "gaussian"
    mask = "mask"


@app.command()
def train(
    out: TrainOut,
    noise: Annotated[Noise | None, typer.Option(help="Train a denoiser: gaussian noise or masked 8x8 patches.")] = None,
    noise_level: Annotated[float | None, typer.Option(
        help="Gaussian factor (default 0.2) or masked fraction (default 0.25).")] = None,
    code: Annotated[int, typer.Option(min=1, max=4096, help="Length of the code a face is squeezed into (at most "
                                      "4096, the pixels of a 64x64 face).")] = 64,
    widths: Annotated[list[int] | None, typer.Option("--width", help="Encoder width of each stride-2 stage, "
                                                     "repeated (default 32 64 128 128: 64 -> 4 pixels).")] = None,
    epochs: Annotated[int, typer.Option(min=1, help=EPOCHS_HELP)] = 60,
    lr: Annotated[float, typer.Option(min=0.0, help="Peak Adam learning rate (cosine schedule).")] = 2e-3,
    batch_size: Annotated[int, typer.Option(min=1, help="Faces per batch.")] = 32,
    patience: Annotated[int, typer.Option(min=0, help="Stop after this many epochs without a better "
                                                      "validation loss (MSE; 0: never stop early).")] = 0,
    test_people: Annotated[int, typer.Option(min=1, help="People held out for the test set.")] = 8,
    val_people: Annotated[int, typer.Option(min=1, help="People held out for validation.")] = 4,
    people: Annotated[int | None, typer.Option(min=3, help="Use only the first N people (quick tries).")] = None,
    seed: Annotated[int, seed_option("Seed for weights, shuffling and noise ({range}; the split of people "
                                     "always uses seed 0).")] = 0,
    device: Device = "auto",
    threads: Threads = 0,
    data_dir: DataDir = None,
    verify: Verify = True,
    resume: Resume = True,
) -> None:
    """Train one faces autoencoder; writes checkpoints, metrics.csv, loss.png and reconstructions.png to --out
    (a new or empty folder, or one holding an earlier run of the suite), and prints the reconstructions'
    path."""
    import torch

    from cli.progress import RichProgressCallback
    from cli.stopping import continue_hint, exit_stopped, stoppable
    from training.loop import FitConfig
    from training.suite.faces import FacesTaskConfig, train_faces

    if widths and min(widths) < 1:
        raise typer.BadParameter(f"every width must be at least 1, not {min(widths)}", param_hint="--width")
    if threads:
        torch.set_num_threads(threads)
    task = FacesTaskConfig(noise=noise.value if noise else None, noise_level=noise_level, code=code,
                           **({"widths": widths} if widths else {}),
                           batch_size=batch_size, test_people=test_people, val_people=val_people, people=people,
                           data_dir=str(user_path(data_dir).resolve()) if data_dir else None, verify=verify)
    fit_config = FitConfig(out_dir=out, epochs=epochs, lr=lr, patience=patience or None, seed=seed, device=device,
                           resume=resume)
    with reported_errors(), stoppable() as stop, \
            RichProgressCallback(show=("train_loss", "val_loss")) as progress:
        result = train_faces(task, fit_config, callbacks=[progress], should_stop=stop)
    exit_stopped(stop, continue_hint(out, resume))  # Ctrl-C or SIGTERM: the state is saved
    if result.unused:
        typer.echo(f"note: {result.unused}", err=True)
    typer.echo(out / "reconstructions.png")


@app.command("eval")
def evaluate(run: RunArg, data_dir: RunDataDir = None, device: Device = "auto", verify: VerifyRun = None) -> None:
    """Score a run on its test people (MSE, PSNR; a denoiser also against its noisy input); writes eval.json
    (eval-NAME.json for a checkpoint other than the run's best, e.g. eval-last.json; a run folder that
    cannot take it is still scored: a warning says so)."""
    from docclean.errors import OutputError
    from training.suite.faces_eval import save_faces_scores, score_faces_run

    with reported_errors():
        r = score_faces_run(run, data_dir, device, verify)
    line = (f"{run}: test MSE {r['test_mse']:.5f}, PSNR {r['test_psnr']:.2f} dB on {r['test_faces']} faces of "
            "unseen people")
    if r["noise"]:
        line += (f" ({r['noise']} {r['noise_level']:g}; noisy input: MSE {r['input_mse']:.5f}, "
                 f"PSNR {r['input_psnr']:.2f} dB)")
    typer.echo(line)
    try:
        record = save_faces_scores(run, r)
    except OutputError as exc:  # a read-only run: the scores are the result, and they are printed
        typer.echo(f"warning: {exc.path}: {exc.reason}; they are printed above only", err=True)
        return
    if record.name != "eval.json":  # not where the run's own scores are: say where these went
        typer.echo(f"scores of this checkpoint: {record}")


def _fewer(n: int):
    """What the picture commands say when the test people have fewer than ``n`` faces."""
    return lambda message: typer.echo(f"note: -n {n}: {message}", err=True)


@app.command()
def reconstruct(run: RunArg, out: OutOpt = None, n: CountOpt = 10, data_dir: RunDataDir = None,
                device: Device = "auto", verify: VerifyRun = None) -> None:
    """Draw test faces fed in clean, and what the network makes of them (reconstructions-clean.png)."""
    from training.suite.faces_eval import reconstruction_picture

    with reported_errors():
        typer.echo(reconstruction_picture(run, out, n, noise=None, data_dir=data_dir, device=device, say=_fewer(n),
                                          verify=verify))


@app.command()
def denoise(
    run: RunArg, out: OutOpt = None, n: CountOpt = 10, data_dir: RunDataDir = None,
    noise: Annotated[Noise | None, typer.Option(
        help="Corruption to apply (default: the one the run was trained on).")] = None,
    noise_level: Annotated[float | None, typer.Option(
        help="Its level (default: the run's, or the kind's default).")] = None,
    device: Device = "auto",
    verify: VerifyRun = None,
) -> None:
    """Draw test faces corrupted, then denoised by the network, then the originals."""
    from training.device import resolve_device
    from training.suite.faces_eval import load_faces_run, reconstruction_picture

    with reported_errors():
        resolve_device(device)  # as the other commands do: a device that is not there before the run is read
        if noise is None:
            kind = load_faces_run(run)[2].noise  # on the CPU: only its task is looked at
            if kind is None:
                raise ValueError("this run was trained on clean faces; choose a corruption with --noise gaussian|mask")
            # The run's own corruption, or its kind at the level asked for (the level was dropped without a word).
            kind, noise_level = ("run", None) if noise_level is None else (kind, noise_level)
        else:
            kind = noise.value
        typer.echo(reconstruction_picture(run, out, n, noise=kind, noise_level=noise_level, data_dir=data_dir,
                                          device=device, say=_fewer(n), verify=verify))
