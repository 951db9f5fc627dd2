"""The noise options the denoising tasks share (faces and Fashion-MNIST): which kinds exist, the
range a level may take and the default level of each kind."""

from __future__ import annotations


def resolve_noise_level(noise: str | None, level: float | None, defaults: dict[str, float],
                        bounded: str) -> float | None:
    """Check a task's ``noise`` and ``noise_level`` and return the level to use: the one given, the
    kind's default from ``defaults`` (whose keys are the kinds) when none is, None without noise.

    ValueError for an unknown kind, a level without a kind (it would be saved in config.json and
    never used), or a level out of range: 0..1 for ``bounded`` (a probability), 0..10 for the
    others (a multiple of N(0, 1)).
    """
    kinds = tuple(defaults)
    if noise is not None and noise not in kinds:
        raise ValueError(f"unknown noise {noise!r}; choose {' or '.join(kinds)}")
    if noise is None and level is not None:
        raise ValueError(f"a noise level ({level:g}) needs a kind of noise: give --noise too")
    if noise is not None and level is None:
        level = defaults[noise]
    if level is not None and not 0.0 <= level <= (1.0 if noise == bounded else 10.0):
        others = ", ".join(kind for kind in kinds if kind != bounded)
        raise ValueError(f"noise level {level} is out of range ({bounded}: 0..1, {others}: 0..10)")
    return level
