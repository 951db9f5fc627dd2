"""docclean: clean scanned documents with a convolutional denoising autoencoder.

>>> from docclean import CleanSettings, clean_batch
>>> report = clean_batch(["scans/"], "clean/", CleanSettings(binarize=True))
>>> from docclean import Denoiser
>>> cleaned = Denoiser.load().clean(page)   # page: (H, W) grey, uint8 or float 0..1

Importing docclean loads no torch: the heavy parts load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docclean.errors import DocCleanError, InputError, ModelError, OutputError, UsageError
from docclean.settings import CleanSettings

if TYPE_CHECKING:
    from docclean.batch import clean_batch, clean_page, load_cleaner
    from docclean.engine import Denoiser

__all__ = ["CleanSettings", "Denoiser", "DocCleanError", "InputError", "ModelError", "OutputError", "UsageError",
           "__version__", "clean_batch", "clean_page", "load_cleaner"]
__version__ = "0.2.0"

_LAZY = {"Denoiser": "docclean.engine", "clean_batch": "docclean.batch", "clean_page": "docclean.batch",
         "load_cleaner": "docclean.batch"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'docclean' has no attribute {name!r}")
