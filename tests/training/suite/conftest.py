"""The suite's tests train tiny networks: one torch thread is as fast as two for them, and on a
busy machine two threads spin-waiting for each other are many times slower."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
