"""The options the teaching suite's three command groups share (`docclean fashion`, `vae`, `faces`).

Declared once so that their names, defaults and help read alike: ``--out``, ``--device``, ``--threads``,
``--resume``, the epochs/patience/limit help, and Fashion-MNIST's ``--data-dir``, ``--download`` and
``--verify`` (``cli.fashion`` and ``cli.vae``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

TrainOut = Annotated[Path, typer.Option("--out", "-o", help="Run folder (resumed if it holds an unfinished run).")]
Device = Annotated[str, typer.Option(help="auto (a GPU if there is one), cpu, cuda or mps.")]
Threads = Annotated[int, typer.Option(min=0, help="Torch CPU threads (0: torch's default).")]
EPOCHS_HELP = "Most epochs to train, in all (a resumed run counts those it has done)."
PATIENCE_HELP = "Stop after this many epochs without a better validation loss (0: never stop early)."
LIMIT_HELP = "Train on the first N training images only (quick tries)."
RESUME_HELP = ("Continue an unfinished run found in --out. --no-resume starts it over, removing it and the scores "
               "and pictures made from it; a run of another network is kept (choose another --out).")
Resume = Annotated[bool, typer.Option(help=RESUME_HELP)]
#: The commands that read a trained run check its data files as the run was trained unless told:
#: --no-verify reads a copy of one's own for a run trained on the official files, --verify checks anyway.
VERIFY_AS_TRAINED = "as the run was trained"

# Fashion-MNIST's data options, the same on every `fashion` and `vae` command that reads the data.
# Nothing is downloaded unless --download is given: offline first, and no test ever fetches.
DOWNLOAD_HELP = "Fetch missing Fashion-MNIST files from the official site (nothing is downloaded without it)."
Download = Annotated[bool, typer.Option("--download/--no-download", help=DOWNLOAD_HELP)]
VERIFY_HELP = "Check the data files' official MD5 (--no-verify for own copies)."
Verify = Annotated[bool, typer.Option(help=VERIFY_HELP)]
VerifyRun = Annotated[bool | None, typer.Option(help=VERIFY_HELP, show_default=VERIFY_AS_TRAINED)]
DataDir = Annotated[Path | None, typer.Option(help="Folder with the Fashion-MNIST files (default: $DOCCLEAN_DATA/"
                                                       "fashion-mnist, else ~/.cache/docclean/fashion-mnist).")]
RunDataDir = Annotated[Path | None, typer.Option(
    help="Folder with the Fashion-MNIST test files (default: the one the run was trained on, else $DOCCLEAN_DATA/"
         "fashion-mnist or ~/.cache/docclean/fashion-mnist).")]
