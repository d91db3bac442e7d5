"""A remote subscription survives a dropped connection: it reconnects and resumes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import pytest

import nebula_kernel as nk
from nebula_kernel.client import RemoteResourceStore, Resources


@pytest.mark.parametrize("anystore", ["remote"], indirect=True)
def test_a_dropped_connection_resumes_without_losing_or_repeating_a_change(
    anystore: Resources,
) -> None:
    assert isinstance(anystore, RemoteResourceStore)
    got: list[int] = []
    all_there = threading.Event()

    def collect(event: nk.Change | nk.Resync) -> None:
        assert isinstance(event, nk.Change)
        got.append(event.seq)
        if len(got) == 6:
            all_there.set()

    with anystore.subscribe(collect, type_name="Task") as sub:
        for n in range(3):
            anystore.put("Task", f"before{n}", {"title": "x"})
        _wait_for(lambda: len(got) == 3)
        # The fault: the network drops the connection under the client.
        connection = sub._socket.ws.sock
        assert connection is not None
        connection.shutdown(socket.SHUT_RDWR)
        for n in range(3):  # written while the subscriber is away
            anystore.put("Task", f"after{n}", {"title": "y"})
        assert all_there.wait(15)
    assert got == [1, 2, 3, 4, 5, 6]


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)
