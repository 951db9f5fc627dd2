"""Synthetic pages: render clean document content and degrade it into noisy/clean training pairs.

* :mod:`~docclean.synth.fonts`: freely licensed typefaces (serif, sans, typewriter, handwriting);
* :mod:`~docclean.synth.layout`: page content as ink coverage (text, tables, forms, stamps, signatures);
* :mod:`~docclean.synth.ink`: inks from black to faint (pencil, thermal, brown, broken strokes);
* :mod:`~docclean.synth.fields`: smooth damage fields (shadows, stains, creases, paper texture);
* :mod:`~docclean.synth.damage`: bleed-through, speckle, salt-and-pepper, blur, noise, photocopy,
  fax, scanner borders, JPEG, and the 300-dpi bench's fixed :func:`degrade`;
* :mod:`~docclean.synth.pairs`: :func:`make_pair` and the on-disk cache :func:`write_pairs`;
* :mod:`~docclean.synth.workers`: worker processes that stop with their parent (SIGTERM, Ctrl-C).
"""

from docclean.synth.damage import degrade
from docclean.synth.fields import crease_field, paper_texture, shadow_field, stain_field
from docclean.synth.layout import LOREM, render_layout, render_page
from docclean.synth.pairs import PairKind, make_pair, pairs_in, write_pairs

__all__ = ["LOREM", "PairKind", "crease_field", "degrade", "make_pair", "pairs_in", "paper_texture", "render_layout",
           "render_page", "shadow_field", "stain_field", "write_pairs"]
