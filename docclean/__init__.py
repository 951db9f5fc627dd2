"""docclean: clean scanned documents with a convolutional denoising autoencoder.

>>> from docclean import Denoiser
>>> cleaned = Denoiser.load().clean(page)   # page: (H, W) grey, uint8 or float 0..1
"""

from docclean.engine import Denoiser
from docclean.errors import DocCleanError, InputError, ModelError, OutputError

__all__ = ["Denoiser", "DocCleanError", "InputError", "ModelError", "OutputError", "__version__"]
__version__ = "0.1.0"
