"""Memory and descriptors over many socket lifecycles (issue 10, "Memory").

The issue: 10,000 lifecycles, each with a bound-method slot on readyRead and
a datagram still pending at close(), grew RSS by about 27 MiB while the
descriptors stayed flat. The cause was not a leak but the receive ring kept
after close(): each socket that received holds 64 slots x 64 KiB. A closed
socket whose owner's bound method is its slot sits in a reference cycle
until the cyclic GC runs, and glibc, once one 4 MiB block has been freed,
raises its mmap threshold and serves the next ones from the heap, where
calloc must zero (touch) every page. So RSS rose by 4 MiB for every closed
socket still waiting for the collector, and stayed at that high-water mark.

The test makes the collector's backlog explicit: the last ``KEEP`` closed
receivers stay referenced, as the GC would keep them, so the outcome does
not depend on when the collector happens to run.
"""

from __future__ import annotations

import collections
import gc
import os
from typing import Any

import pytest

from qudp import QHostAddress, QUdpSocket

pytestmark = pytest.mark.netns

LOCAL = QHostAddress("127.0.0.1")
LIFECYCLES = 2_000  # the bug shows as a high-water mark: KEEP rings, whatever the count
KEEP = 8  # closed receivers not yet collected at any time
RSS_BOUND_MIB = 8  # KEEP rings kept after close() would cost 32 MiB


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


class Receiver:
    """Owns a socket whose readyRead slot is a bound method: a reference cycle."""

    def __init__(self) -> None:
        self.sock = QUdpSocket()
        self.reads = 0
        self.sock.readyRead.connect(self.on_ready_read)

    def on_ready_read(self) -> None:
        self.reads += 1


def lifecycle(tx: Any, keep: collections.deque[Receiver]) -> None:
    r = Receiver()
    s = r.sock
    assert s.bind(LOCAL, 0), s.errorString()
    assert tx.writeDatagram(b"x" * 64, LOCAL, s.localPort()) == 64
    # The datagram is received (readyRead runs the slot) and left unread.
    assert s.waitForReadyRead(2000)
    assert s.hasPendingDatagrams()
    s.close()
    keep.append(r)


def test_lifecycles_keep_rss_and_descriptors_flat() -> None:
    tx = QUdpSocket()
    assert tx.bind(LOCAL, 0)
    keep: collections.deque[Receiver] = collections.deque(maxlen=KEEP)
    # Warm up one at a time: first allocations, allocator thresholds.
    for _ in range(300):
        lifecycle(tx, keep)
        keep.clear()
    gc.collect()
    rss0, fds0 = rss_mib(), fd_count()
    for _ in range(LIFECYCLES):
        lifecycle(tx, keep)
    peak = rss_mib()
    keep.clear()
    gc.collect()
    grown = max(peak, rss_mib()) - rss0
    assert fd_count() == fds0
    assert grown < RSS_BOUND_MIB, f"RSS grew {grown:.1f} MiB over {LIFECYCLES} lifecycles"


def test_cycle_with_bound_method_slot_is_collected() -> None:
    """The socket and its owner form a cycle the collector frees, descriptor included."""
    import weakref

    gc.collect()
    fds0 = fd_count()
    r = Receiver()
    assert r.sock.bind(LOCAL, 0)
    ref = weakref.ref(r.sock)
    del r
    gc.collect()
    assert ref() is None
    assert fd_count() == fds0
