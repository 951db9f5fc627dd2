"""Fixtures of the cluster tests: one local Ray for the whole session, pages, a tiny model.

Ray starts in several seconds, so all cluster tests share one session-scoped ``ray.init`` with
two CPUs on loopback and no dashboard. Every test module that needs it skips with a clear reason
when Ray is not installed (``pip install -c constraints.txt -e ".[ray]"``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docclean.settings import CleanSettings


@pytest.fixture(scope="session")
def ray_session():
    from cluster_helpers import import_or_skip

    ray = import_or_skip("ray", "Ray is not installed: pip install -e '.[ray]'")
    if not ray.is_initialized():
        # One GPU declared (none is there: actors asking for it fall back to the CPU), so that
        # GPU-sharing pools are scheduled as on a GPU node.
        ray.init(address="local", num_cpus=2, num_gpus=1, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
                 configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def settings(tiny_model_path: Path) -> CleanSettings:
    """The tiny random model on the torch CPU backend in fp32, one thread (what each actor gets)."""
    return CleanSettings(model=str(tiny_model_path), backend="torch", device="cpu", precision="fp32", threads=1)
