"""`docclean synth`: render synthetic noisy/clean page pairs for training or testing a denoiser.

Declarations only: options are parsed here and handed to ``docclean.synth.write_pairs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.errors import reported_errors
from cli.options import seed_option


def synth(
    out: Annotated[Path, typer.Argument(
        metavar="OUT", help="Output folder: OUT/noisy/NAME.png and OUT/clean/NAME.png.")],
    n: Annotated[int, typer.Option("--n", min=1, help="Number of page pairs.")] = 100,
    dpi: Annotated[Optional[list[int]], typer.Option(
        "--dpi", min=50, max=1200, help="Resolutions, used in turn (repeat the option); default 100 to 600.")] = None,
    seed: Annotated[int, seed_option("Random seed, {range}: the same seed gives the same pages.")] = 0,
    size: Annotated[int, typer.Option(min=64, max=8192, help="Page window edge in pixels.")] = 768,
    workers: Annotated[int, typer.Option(min=1, help="Processes that render pages.")] = 1,
    uneven: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Chance that a page's ink fades from stroke to stroke, as a dip pen or faded "
        "manuscript ink does; the target keeps those strokes whole. Keep each value in its own OUT.")] = 0.0,
    markers: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Chance that broad pen or marker strokes (underlines, strike-throughs, loops) cross "
        "a page, mostly over its text; the target keeps them. Keep each value in its own OUT.")] = 0.0,
    lines: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Chance of one more broad dark line that is damage (a fold or a scanner's border "
        "band; the target is paper there), to weigh against --markers. Keep each value in its own OUT.")] = 0.0,
    boxes: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Chance of a block of form boxes with words written in them (pencil half of the "
        "time), some rows lightly shaded; the target keeps the writing and clears the shading. Keep each value in "
        "its own OUT.")] = 0.0,
) -> None:
    """Render N synthetic page windows (several typefaces, 6-16 pt, inks from black to faint) and
    degrade them (stains, creases, shadows, bleed-through, speckle, blur, JPEG, photocopy/fax,
    borders). Pairs already in OUT are kept, so rerunning extends or completes a set.

    Ctrl-C or SIGTERM stops every worker; the pairs written are whole and a rerun completes the set
    (exit 130 interrupted, 143 terminated; 1 a set.json that is not this set's record, 2 usage error).

    Example: docclean synth data/synth --n 500 --dpi 150 --dpi 300 --seed 1
    """
    from docclean.errors import Cancelled, exit_code, stop_word
    from docclean.signals import terminate_as_interrupt
    from docclean.synth import PairKind, pairs_in, write_pairs
    from docclean.synth.fonts import missing_fonts_note
    from docclean.synth.pairs import DEFAULT_DPIS

    note = missing_fonts_note()
    if note:
        typer.echo(f"warning: {note}", err=True)

    # SIGTERM raises Terminated like Ctrl-C's KeyboardInterrupt, so write_pairs stops its workers either way.
    with terminate_as_interrupt(), reported_errors():
        try:
            names = write_pairs(out, n, seed=seed, dpis=tuple(dpi) if dpi else DEFAULT_DPIS, size=size,
                                workers=workers, kind=PairKind(uneven=uneven, markers=markers, lines=lines,
                                                                        boxes=boxes))
        except (KeyboardInterrupt, Cancelled) as exc:  # click would say "Aborted!" and exit 1
            typer.echo(f"{stop_word(exc)}; the pairs written in {out} are whole and a rerun of the same command "
                       "completes the set", err=True)
            raise typer.Exit(exit_code(exc)) from None
    held = pairs_in(out)
    typer.echo(f"{len(names)} pairs in {out}" + (f" ({held} in the folder)" if held != len(names) else ""))
