"""The qudp command line: ``python -m qudp`` or ``qudp``.

qudp demo                      a sender and a receiver on loopback
qudp listen PORT [--bind ADDR] print each datagram with its sender (like nc -u -l)
qudp send HOST PORT MESSAGE    send one datagram
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from . import QAbstractSocket, QHostAddress, QUdpSocket


def _addr(text: str) -> QHostAddress:
    a = QHostAddress(text)
    if a.isNull():
        raise argparse.ArgumentTypeError(f"not an IPv4 or IPv6 address: {text!r}")
    return a


def _port(text: str) -> int:
    try:
        p = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= p <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535, got {p}")
    return p


def _show(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex(" ")


def cmd_listen(args: argparse.Namespace) -> int:
    sock = QUdpSocket()
    if not sock.bind(args.bind, args.port):
        print(
            f"qudp: cannot bind {args.bind.toString()}:{args.port}: {sock.errorString()}",
            file=sys.stderr,
        )
        return 1
    print(f"listening on {sock.localAddress().toString()}:{sock.localPort()}", flush=True)
    received = 0
    deadline = time.monotonic() + args.timeout if args.timeout else None
    while args.count == 0 or received < args.count:
        wait_ms = 1000 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
        if deadline is not None and wait_ms == 0:
            break
        if not sock.waitForReadyRead(min(wait_ms, 1000)):
            continue
        while sock.hasPendingDatagrams() and (args.count == 0 or received < args.count):
            d = sock.receiveDatagram()
            received += 1
            print(
                f"{d.senderAddress().toString()}:{d.senderPort()} {_show(bytes(d.data()))}",
                flush=True,
            )
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    sock = QUdpSocket()
    n = sock.writeDatagram(args.message.encode(), args.host, args.port)
    if n < 0:
        print(f"qudp: send failed: {sock.errorString()}", file=sys.stderr)
        return 1
    print(f"sent {n} bytes to {args.host.toString()}:{args.port}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    receiver = QUdpSocket()
    if not receiver.bind(QHostAddress.LocalHost, 0):
        print(f"qudp: cannot bind loopback: {receiver.errorString()}", file=sys.stderr)
        return 1
    receiver.setSocketOption(QAbstractSocket.ReceiveBufferSizeSocketOption, 1 << 21)
    sender = QUdpSocket()
    port = receiver.localPort()
    print(f"receiver bound to 127.0.0.1:{port}")
    count = args.count
    got: list[bytes] = []
    t0 = time.perf_counter()
    for i in range(count):
        payload = f"datagram {i} of {count}".encode()
        sender.writeDatagram(payload, QHostAddress.LocalHost, port)
        if i < 3:
            print(f"sent     {payload.decode()!r} from port {sender.localPort()}")
        while receiver.hasPendingDatagrams():
            got.append(receiver.readDatagram(receiver.pendingDatagramSize())[0])
    while len(got) < count and receiver.waitForReadyRead(500):
        while receiver.hasPendingDatagrams():
            got.append(receiver.readDatagram(receiver.pendingDatagramSize())[0])
    elapsed = time.perf_counter() - t0
    for data in got[:3]:
        print(f"received {data.decode()!r}")
    in_order = got == [f"datagram {i} of {count}".encode() for i in range(len(got))]
    print(
        f"summary: sent {count}, received {len(got)}, in order: {'yes' if in_order else 'no'}, "
        f"{elapsed * 1000:.1f} ms ({len(got) / elapsed:,.0f} datagrams/s)"
    )
    return 0 if len(got) == count and in_order else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="qudp", description="Qt's QUdpSocket for Python: command line."
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("demo", help="send datagrams round loopback and summarise")
    d.add_argument("--count", type=int, default=1000, help="datagrams to send (default 1000)")
    d.set_defaults(func=cmd_demo)
    listen = sub.add_parser("listen", help="print each datagram received on PORT")
    listen.add_argument("port", type=_port)
    listen.add_argument(
        "--bind", type=_addr, default=QHostAddress(QHostAddress.Any), help="address (default: any)"
    )
    listen.add_argument("--count", type=int, default=0, help="stop after this many datagrams")
    listen.add_argument("--timeout", type=float, default=0, help="stop after this many seconds")
    listen.set_defaults(func=cmd_listen)
    send = sub.add_parser("send", help="send MESSAGE to HOST PORT")
    send.add_argument("host", type=_addr)
    send.add_argument("port", type=_port)
    send.add_argument("message")
    send.set_defaults(func=cmd_send)
    args = p.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
