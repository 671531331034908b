"""Qt's Multicast Receiver example, ported to qudp (no GUI).

Listens on port 45454 for group 239.255.43.21 on an AnyIPv4 socket and for
[ff12::2115] on an AnyIPv6 socket (an IPv4 group needs an IPv4 socket: Qt
refuses it on a dual-stack one). `--iface` joins on one interface instead
of the one the routes pick; `--all` joins on every multicast-capable
interface (joinMulticastGroupOnAllInterfaces, beyond Qt); `--source` keeps
only one sender's datagrams (source-specific multicast, beyond Qt).
Bounded by `--count` datagrams and `--timeout` seconds.

    python examples/multicastreceiver.py --count 6
"""

from __future__ import annotations

import argparse
import sys
import time

from qudp import QHostAddress, QNetworkInterface, QUdpSocket


def join(
    sock: QUdpSocket, group: QHostAddress, args: argparse.Namespace, source: str | None
) -> bool:
    if args.all:
        return bool(sock.joinMulticastGroupOnAllInterfaces(group, source=source))
    iface = QNetworkInterface.interfaceFromName(args.iface) if args.iface else QNetworkInterface()
    return sock.joinMulticastGroup(group, iface, source=source)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--group4", default="239.255.43.21")
    p.add_argument("--group6", default="ff12::2115")
    p.add_argument("--port", type=int, default=45454)
    p.add_argument("--iface", help="interface to join on (default: by route)")
    p.add_argument("--all", action="store_true", help="join on every multicast interface")
    p.add_argument("--source", help="only datagrams from this sender (SSM)")
    p.add_argument("--count", type=int, default=0, help="stop after this many (0: no limit)")
    p.add_argument("--timeout", type=float, default=60.0, help="stop after this many seconds")
    args = p.parse_args(argv)
    group4, group6 = QHostAddress(args.group4), QHostAddress(args.group6)
    src4 = src6 = None
    if args.source:
        is6 = QHostAddress(args.source).protocol() == QHostAddress.IPv6Protocol
        src4, src6 = (None, args.source) if is6 else (args.source, None)

    udp_socket4, udp_socket6 = QUdpSocket(), QUdpSocket()
    ok4 = udp_socket4.bind(QHostAddress.AnyIPv4, args.port, QUdpSocket.ShareAddress)
    ok4 = ok4 and (not args.source or src4 is not None) and join(udp_socket4, group4, args, src4)
    ok6 = udp_socket6.bind(QHostAddress.AnyIPv6, args.port, QUdpSocket.ShareAddress)
    ok6 = ok6 and (not args.source or src6 is not None) and join(udp_socket6, group6, args, src6)
    if ok4 and ok6:
        print("Listening for multicast messages on both IPv4 and IPv6", flush=True)
    elif ok4 or ok6:
        print(f"Listening for multicast messages on IPv{4 if ok4 else 6} only", flush=True)
    else:
        print("could not join either group", file=sys.stderr)
        return 1

    received = 0
    deadline = time.monotonic() + args.timeout
    while (args.count == 0 or received < args.count) and time.monotonic() < deadline:
        # Two sockets and no event loop: poll each briefly.
        for sock in (udp_socket4, udp_socket6):
            if sock.hasPendingDatagrams() or sock.waitForReadyRead(50):
                break
        # Using QUdpSocket.readDatagram (API since Qt 4).
        while udp_socket4.hasPendingDatagrams():
            data, _host, _port = udp_socket4.readDatagram(udp_socket4.pendingDatagramSize())
            print(f'Received IPv4 datagram: "{data.decode()}"', flush=True)
            received += 1
        # Using QUdpSocket.receiveDatagram (API since Qt 5.8).
        while udp_socket6.hasPendingDatagrams():
            dgram = udp_socket6.receiveDatagram()
            print(
                f"Received IPv6 datagram from [{dgram.senderAddress().toString()}]:"
                f'{dgram.senderPort()}: "{bytes(dgram.data()).decode()}"',
                flush=True,
            )
            received += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
