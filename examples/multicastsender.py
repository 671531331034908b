"""Qt's Multicast Sender example, ported to qudp (no GUI).

Sends "Multicast message N" to group 239.255.43.21 (IPv4) and [ff12::2115]
(IPv6), port 45454, every `--interval` seconds. `--ttl` sets the IPv4
socket's MulticastTtlOption (IP_MULTICAST_TTL), as the TTL spin box of Qt's
example does; `--iface` sends out of one interface (setMulticastInterface:
IP_MULTICAST_IF / IPV6_MULTICAST_IF) instead of the one the routes pick.

    python examples/multicastsender.py --ttl 4 --count 3
"""

from __future__ import annotations

import argparse
import sys
import time

from qudp import QAbstractSocket, QHostAddress, QNetworkInterface, QUdpSocket


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--group4", default="239.255.43.21")
    p.add_argument("--group6", default="ff12::2115")
    p.add_argument("--port", type=int, default=45454)
    p.add_argument("--ttl", type=int, default=1, help="TTL for IPv4 multicast datagrams")
    p.add_argument("--iface", help="interface to send from (default: by route)")
    p.add_argument("--count", type=int, default=5, help="datagrams to send (0: forever)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between datagrams")
    args = p.parse_args(argv)
    group4, group6 = QHostAddress(args.group4), QHostAddress(args.group6)

    # Force binding to their respective families, as Qt's example does.
    udp_socket4, udp_socket6 = QUdpSocket(), QUdpSocket()
    udp_socket4.bind(QHostAddress(QHostAddress.AnyIPv4), 0)
    udp_socket6.bind(QHostAddress(QHostAddress.AnyIPv6), udp_socket4.localPort())
    has6 = udp_socket6.state() == QAbstractSocket.BoundState
    if args.iface:
        iface = QNetworkInterface.interfaceFromName(args.iface)
        if not iface.isValid():
            print(f"no interface {args.iface!r}", file=sys.stderr)
            return 2
        udp_socket4.setMulticastInterface(iface)
        udp_socket6.setMulticastInterface(iface)
    # We only set the TTL on the IPv4 socket, as that changes the multicast scope.
    udp_socket4.setSocketOption(QAbstractSocket.MulticastTtlOption, args.ttl)
    if has6:
        print(
            f"Ready to multicast datagrams to groups {group4.toString()} and "
            f"[{group6.toString()}] on port {args.port}",
            flush=True,
        )
    else:
        print(
            f"IPv6 failed. Ready to multicast datagrams to group {group4.toString()} "
            f"on port {args.port}",
            flush=True,
        )
    message_no = 1
    while args.count == 0 or message_no <= args.count:
        print(f"Now sending datagram {message_no}", flush=True)
        datagram = f"Multicast message {message_no}".encode()
        if udp_socket4.writeDatagram(datagram, group4, args.port) < 0:
            print(f"IPv4: {udp_socket4.errorString()}", file=sys.stderr)
        if has6 and udp_socket6.writeDatagram(datagram, group6, args.port) < 0:
            print(f"IPv6: {udp_socket6.errorString()}", file=sys.stderr)
        message_no += 1
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
