"""Joining a Ray cluster (``docclean.cluster.raypool.connect``): an address that cannot work is one
usage error at once, not a traceback or minutes of Ray's retries. No Ray is started."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

import pytest

from docclean.cluster import raypool
from docclean.errors import UsageError


@pytest.fixture
def fake_ray(monkeypatch):  # noqa: ANN201, ANN001
    """A stand-in for the ray module that records ``init`` calls (and raises like Ray for "foo")."""
    calls: list[str] = []

    def init(address=None, **kwargs) -> None:  # noqa: ANN001, ANN003
        calls.append(address)
        if address == "foo":
            raise ValueError("Invalid address format: foo")

    monkeypatch.setattr(raypool, "ray_module", lambda: SimpleNamespace(is_initialized=lambda: False, init=init))
    return calls


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


@pytest.mark.parametrize("address", ["foo", "host:port", "ray://", "10.0.0.1"])
def test_an_address_that_is_not_one_is_a_usage_error_naming_the_forms(fake_ray, address: str) -> None:
    # --address foo ended in a traceback (Ray's ValueError: Invalid address format).
    with pytest.raises(UsageError, match="not a Ray address") as info:
        raypool.connect(address)
    assert "auto, HOST:PORT or ray://HOST:PORT" in str(info.value) and info.value.settings == ("address",)
    assert fake_ray == []


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_address_where_nothing_listens_is_refused_at_once(fake_ray, scheme: str) -> None:
    # HOST:PORT with no cluster there: Ray retried for minutes, printing a line every 5 s.
    address = f"{scheme}127.0.0.1:{_closed_port()}"
    began = time.monotonic()
    with pytest.raises(UsageError, match=f"cannot reach the Ray cluster at {address} ") as info:
        raypool.connect(address)
    assert time.monotonic() - began < raypool.CONNECT_TIMEOUT_S and "ray start --head" in str(info.value)
    assert fake_ray == []


def test_an_address_that_takes_connections_goes_on_to_ray(fake_ray) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"127.0.0.1:{server.getsockname()[1]}"
        assert raypool.connect(address) is True
    assert fake_ray == [address]
    assert raypool.connect("auto") is True and fake_ray[-1] == "auto"  # Ray finds the cluster itself


@pytest.mark.parametrize("address", ["local", "auto"])
def test_ray_s_token_authentication_line_is_not_printed_on_starting_or_joining(monkeypatch, capsys,
                                                                               address: str) -> None:
    # Ray 2.60 logs "Token authentication is enabled for this Ray cluster" on a local start, and on
    # joining a cluster once a token is on this machine: a line through the progress bar, even with -q.
    import logging

    auth = logging.getLogger("ray._private.authentication.authentication_token_setup")
    handler = logging.StreamHandler()  # where Ray's own handler would print it
    auth.addHandler(handler)
    monkeypatch.setattr(raypool, "ray_module", lambda: SimpleNamespace(
        is_initialized=lambda: False,
        init=lambda **kwargs: auth.warning("Token authentication is enabled for this Ray cluster.")))
    try:
        assert raypool.connect(address) is True
        auth.warning("after: said")  # the level is put back
    finally:
        auth.removeHandler(handler)
    err = capsys.readouterr().err
    assert "Token authentication" not in err and "after: said" in err
