"""Options shared by several docclean commands, declared once so their bounds and help agree.

Typer only: importing this module must stay as light as the command declarations that use it
(``docclean --help`` loads no torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: The largest seed: 32 bits, the range every docclean command's --seed takes.
MAX_SEED = 4294967295

#: How the help texts write the seed range.
SEED_RANGE = f"0 to {MAX_SEED}"


def seed_option(help: str) -> typer.models.OptionInfo:
    """A ``--seed`` option taking 0..MAX_SEED: typer refuses others with a usage error (exit 2) that
    says the range, instead of torch or numpy failing on a number beyond their integers.

    ``help`` is the option's help text; ``{range}`` in it becomes "0 to 4294967295", and a text
    without it gets the range appended in brackets ("Seed of X" -> "Seed of X (0 to 4294967295).")."""
    text = help.format(range=SEED_RANGE) if "{range}" in help else f"{help} ({SEED_RANGE})."
    return typer.Option(min=0, max=MAX_SEED, help=text)


#: ``--out``/``-o`` of the commands that draw one picture of a trained run (`docclean vae`, `docclean faces`).
OutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Picture to write, in the format its ending names (.png, .jpg, .jpeg, .svg or .pdf); a "
                        "folder gets the default name inside it (default: inside the run folder).")]
