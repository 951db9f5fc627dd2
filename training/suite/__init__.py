"""The teaching suite: classic autoencoders, a contractive autoencoder and VAEs on Fashion-MNIST,
and deep convolutional (denoising) autoencoders on the Olivetti faces.

Importing the package registers every architecture the suite's checkpoints name with
``docclean.checkpoint.register_architecture``, so ``docclean.checkpoint.load_model(path)`` rebuilds
any of them. Only network modules are imported here (torch, no matplotlib or data code).
"""

from __future__ import annotations

from functools import partial

from docclean.checkpoint import register_architecture
from training.suite import faces_models, fashion_models, vae_models


def _register() -> None:
    for name in fashion_models.FASHION_ARCHS:
        register_architecture(fashion_models.ARCH_PREFIX + name, partial(fashion_models.build_fashion_model, name))
    for name in vae_models.VAE_REGISTRY:
        register_architecture(name, partial(vae_models.build_vae, name))
    for name in faces_models.FACES_ARCHS:
        register_architecture(name, partial(faces_models.build_faces_model, name))


_register()
