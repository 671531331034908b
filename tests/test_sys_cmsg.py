"""Control messages under pressure: more receive options than qudp asked
for, set on a dup of the descriptor, so the kernel truncates the control
data (MSG_CTRUNC). Whatever was cut must come back as unknown, never as
bytes read past the control buffer (issue 10, defect 1)."""

from __future__ import annotations

import os
import socket
import struct
import sys

import pytest

from qudp import QHostAddress, QUdpSocket

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Linux control messages")

SO_TIMESTAMPING = 37
SOF_RX_SOFTWARE_REPORTING = 0x8 | 0x10  # SOF_TIMESTAMPING_RX_SOFTWARE | _SOFTWARE
SO_RCVMARK = 75  # Linux 5.19
SO_RCVPRIORITY = 82  # Linux 6.13
IP_PKTINFO = 8
IP_RECVTTL = 12
IP_RECVTOS = 13
UDP_SEGMENT = 103


def _try(sock: socket.socket, level: int, name: int, value: int) -> None:
    try:
        sock.setsockopt(level, name, value)
    except OSError:
        pass  # an older kernel: fewer extra messages, the check still holds


@pytest.mark.parametrize("batch", [64, 1])
def test_truncated_control_data_gives_unknown_hop_limit_not_garbage(batch: int) -> None:
    rx = QUdpSocket()
    # batch=1: one control buffer per receive, so an over-read leaves the
    # heap block (valgrind: invalid read); 64: it reads the next buffer.
    assert rx.setReadBatchSize(batch)
    assert rx.bind(QHostAddress(QHostAddress.SpecialAddress.Any), 0)  # dual-stack
    assert rx.setReceiveTimestamps(True)
    assert rx.setReceiveCoalescing(True)
    assert rx.setDropCounting(True)
    port = rx.localPort()
    extra = socket.socket(fileno=os.dup(rx.socketDescriptor()))
    try:
        # Sized so that on Linux 6.x the IPv4 TTL of a coalesced datagram
        # starts 240 bytes in: qudp's old 256-byte buffers cut it to a bare
        # header and the old parser read the int after it.
        _try(extra, socket.SOL_SOCKET, SO_TIMESTAMPING, SOF_RX_SOFTWARE_REPORTING)
        _try(extra, socket.SOL_SOCKET, SO_RCVMARK, 1)
        _try(extra, socket.SOL_SOCKET, SO_RCVPRIORITY, 1)
        _try(extra, socket.IPPROTO_IP, IP_PKTINFO, 1)
        _try(extra, socket.IPPROTO_IP, IP_RECVTTL, 1)
        _try(extra, socket.IPPROTO_IP, IP_RECVTOS, 1)
    finally:
        extra.close()  # the dup only; the options stay on the shared socket
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent: list[bytes] = []
    for round_ in range(20):
        a, b = bytes([65 + round_ % 26]) * 100, bytes([97 + round_ % 26]) * 100
        # A GSO pair that GRO hands over as one coalesced receive (UDP_GRO
        # message), then a plain datagram.
        seg = [(socket.IPPROTO_UDP, UDP_SEGMENT, struct.pack("H", 100))]
        tx.sendmsg([a, b], seg, 0, ("127.0.0.1", port))
        tx.sendto(b"plain%d" % round_, ("127.0.0.1", port))
        sent += [a, b, b"plain%d" % round_]
    tx.close()
    got = []
    hops = set()
    while len(got) < len(sent) and (rx.hasPendingDatagrams() or rx.waitForReadyRead(2000)):
        d = rx.receiveDatagram()
        got.append(d.data())
        hops.add(d.hopLimit())
    rx.close()
    assert got == sent
    assert hops <= {64, -1}, hops
