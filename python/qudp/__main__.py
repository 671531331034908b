"""The qudp command line: ``python -m qudp`` or ``qudp``.

qudp demo                      a sender and a receiver on loopback
qudp listen PORT [--bind ADDR] print each datagram with its sender (like nc -u -l)
qudp send HOST PORT MESSAGE    send one datagram
qudp interfaces                list interfaces and addresses, like `ip addr`
qudp bench [--plot FILE]       qudp against Python's socket (and PySide6, uvloop) here
qudp broadcast-sender          Qt's broadcast examples (examples/ has the
qudp broadcast-receiver          same programs as standalone scripts)
qudp multicast-sender          Qt's multicast examples: --group4/--group6,
qudp multicast-receiver          --port, --ttl (sender), --iface, --source, --all
qudp run SCRIPT [ARGS...]      run a PySide/PyQt script's UDP + QtCore use on qudp
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from . import QAbstractSocket, QHostAddress, QNetworkInterface, QUdpSocket, __version__


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


_FLAG_NAMES = ("IsUp", "IsRunning", "CanBroadcast", "IsLoopBack", "IsPointToPoint", "CanMulticast")


def cmd_interfaces(args: argparse.Namespace) -> int:
    """Interfaces as `ip addr` shows them, in QNetworkInterface's terms."""
    for i in QNetworkInterface.allInterfaces():
        flags = ",".join(n for n in _FLAG_NAMES if i.flags() & getattr(QNetworkInterface, n))
        print(
            f"{i.index()}: {i.name()}: <{flags}> mtu {i.maximumTransmissionUnit()} "
            f"type {i.type().name}"
        )
        if i.humanReadableName() != i.name():
            print(f"    alias {i.humanReadableName()}")
        if i.hardwareAddress():
            print(f"    link {i.hardwareAddress()}")
        for e in i.addressEntries():
            ip = e.ip()
            fam = "inet6" if ip.protocol() == QHostAddress.IPv6Protocol else "inet"
            line = f"    {fam} {ip.toString()}/{e.prefixLength()}"
            if not e.broadcast().isNull():
                line += f" brd {e.broadcast().toString()}"
            print(line)
    return 0


def _wait_any(socks: Sequence[QUdpSocket], ms: int) -> None:
    for s in socks:
        if s.hasPendingDatagrams() or s.waitForReadyRead(ms):
            return


def cmd_broadcast_sender(args: argparse.Namespace) -> int:
    sock = QUdpSocket()
    print(f"Ready to broadcast datagrams on port {args.port}", flush=True)
    for n in range(1, args.count + 1) if args.count else _forever():
        print(f"Now broadcasting datagram {n}", flush=True)
        if sock.writeDatagram(f"Broadcast message {n}".encode(), args.address, args.port) < 0:
            print(f"qudp: broadcast failed: {sock.errorString()}", file=sys.stderr)
            return 1
        time.sleep(args.interval)
    return 0


def _forever() -> Iterator[int]:
    n = 1
    while True:
        yield n
        n += 1


def cmd_broadcast_receiver(args: argparse.Namespace) -> int:
    sock = QUdpSocket()
    if not sock.bind(args.port, QUdpSocket.ShareAddress):
        print(f"qudp: cannot bind port {args.port}: {sock.errorString()}", file=sys.stderr)
        return 1
    print(f"Listening for broadcasted messages on port {args.port}", flush=True)
    received, deadline = 0, time.monotonic() + args.timeout
    while (args.count == 0 or received < args.count) and time.monotonic() < deadline:
        _wait_any([sock], 200)
        while sock.hasPendingDatagrams():
            print(f'Received datagram: "{_show(bytes(sock.receiveDatagram().data()))}"', flush=True)
            received += 1
    return 0


def _iface(name: str | None) -> QNetworkInterface:
    if name is None:
        return QNetworkInterface()
    i = QNetworkInterface.interfaceFromName(name)
    if not i.isValid():
        raise SystemExit(f"qudp: no interface {name!r}")
    return i


def cmd_multicast_sender(args: argparse.Namespace) -> int:
    s4, s6 = QUdpSocket(), QUdpSocket()
    s4.bind(QHostAddress(QHostAddress.AnyIPv4), 0)
    s6.bind(QHostAddress(QHostAddress.AnyIPv6), s4.localPort())
    has6 = s6.state() == QAbstractSocket.BoundState
    if args.iface:
        s4.setMulticastInterface(_iface(args.iface))
        s6.setMulticastInterface(_iface(args.iface))
    s4.setSocketOption(QAbstractSocket.MulticastTtlOption, args.ttl)
    g4, g6 = args.group4.toString(), args.group6.toString()
    if has6:
        print(f"Ready to multicast datagrams to groups {g4} and [{g6}] on port {args.port}")
    else:
        print(f"IPv6 failed. Ready to multicast datagrams to group {g4} on port {args.port}")
    sys.stdout.flush()
    for n in range(1, args.count + 1) if args.count else _forever():
        print(f"Now sending datagram {n}", flush=True)
        data = f"Multicast message {n}".encode()
        if s4.writeDatagram(data, args.group4, args.port) < 0:
            print(f"qudp: IPv4: {s4.errorString()}", file=sys.stderr)
        if has6 and s6.writeDatagram(data, args.group6, args.port) < 0:
            print(f"qudp: IPv6: {s6.errorString()}", file=sys.stderr)
        time.sleep(args.interval)
    return 0


def cmd_multicast_receiver(args: argparse.Namespace) -> int:
    src = args.source
    src6 = src is not None and src.protocol() == QHostAddress.IPv6Protocol

    def join(sock: QUdpSocket, group: QHostAddress, v6: bool) -> bool:
        if src is not None and src6 != v6:
            return False
        if args.all:
            return bool(sock.joinMulticastGroupOnAllInterfaces(group, source=src))
        return sock.joinMulticastGroup(group, _iface(args.iface), source=src)

    s4, s6 = QUdpSocket(), QUdpSocket()
    share = QUdpSocket.ShareAddress
    ok4 = s4.bind(QHostAddress.AnyIPv4, args.port, share) and join(s4, args.group4, False)
    ok6 = s6.bind(QHostAddress.AnyIPv6, args.port, share) and join(s6, args.group6, True)
    if ok4 and ok6:
        print("Listening for multicast messages on both IPv4 and IPv6", flush=True)
    elif ok4 or ok6:
        print(f"Listening for multicast messages on IPv{4 if ok4 else 6} only", flush=True)
    else:
        print("qudp: could not join either group", file=sys.stderr)
        return 1
    received, deadline = 0, time.monotonic() + args.timeout
    while (args.count == 0 or received < args.count) and time.monotonic() < deadline:
        _wait_any([s4, s6], 50)
        while s4.hasPendingDatagrams():
            data, _host, _port = s4.readDatagram(s4.pendingDatagramSize())
            print(f'Received IPv4 datagram: "{_show(data)}"', flush=True)
            received += 1
        while s6.hasPendingDatagrams():
            d = s6.receiveDatagram()
            print(
                f"Received IPv6 datagram from [{d.senderAddress().toString()}]:"
                f'{d.senderPort()}: "{_show(bytes(d.data()))}"',
                flush=True,
            )
            received += 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from ._runhook import run

    return run(args.script, args.args)


def _examples(sub: Any) -> None:
    i = sub.add_parser("interfaces", help="list interfaces and addresses (like ip addr)")
    i.set_defaults(func=cmd_interfaces)

    def bounded(q: argparse.ArgumentParser, receiver: bool) -> None:
        q.add_argument("--port", type=_port, default=45454, help="UDP port (default 45454)")
        if receiver:
            q.add_argument("--count", type=int, default=0, help="stop after N datagrams")
            q.add_argument("--timeout", type=float, default=60, help="stop after S seconds")
        else:
            q.add_argument("--count", type=int, default=5, help="datagrams to send (0: forever)")
            q.add_argument("--interval", type=float, default=1.0, help="seconds between them")

    bs = sub.add_parser("broadcast-sender", help="Qt's broadcast sender example")
    bs.add_argument("--address", type=_addr, default=QHostAddress(QHostAddress.Broadcast))
    bounded(bs, False)
    bs.set_defaults(func=cmd_broadcast_sender)
    br = sub.add_parser("broadcast-receiver", help="Qt's broadcast receiver example")
    bounded(br, True)
    br.set_defaults(func=cmd_broadcast_receiver)
    for name, func, receiver in (
        ("multicast-sender", cmd_multicast_sender, False),
        ("multicast-receiver", cmd_multicast_receiver, True),
    ):
        m = sub.add_parser(name, help=f"Qt's {name.replace('-', ' ')} example")
        m.add_argument("--group4", type=_addr, default=QHostAddress("239.255.43.21"))
        m.add_argument("--group6", type=_addr, default=QHostAddress("ff12::2115"))
        m.add_argument("--iface", help="interface name (default: the one routes pick)")
        if receiver:
            m.add_argument("--source", type=_addr, help="only this sender (SSM, beyond Qt)")
            m.add_argument("--all", action="store_true", help="join on every interface")
        else:
            m.add_argument("--ttl", type=int, default=1, help="IPv4 multicast TTL (default 1)")
        bounded(m, receiver)
        m.set_defaults(func=func)


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["bench"]:
        # Its own options and child processes (python -m qudp._bench).
        from ._bench import main as bench_main

        return bench_main(args_in[1:])
    p = argparse.ArgumentParser(
        prog="qudp", description="Qt's QUdpSocket for Python: command line."
    )
    p.add_argument("--version", action="version", version=f"qudp {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser(
        "bench",
        add_help=False,
        help="measure qudp against Python's socket (and PySide6, uvloop) here, ~20 s; --plot FILE",
    )
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
    _examples(sub)
    run = sub.add_parser(
        "run",
        help="run a PySide6/PySide2/PySide/PyQt5/PyQt6 script on qudp, without Qt",
        description="Run SCRIPT with its Qt imports (QtNetwork's UDP classes, QtCore) "
        "answered by qudp and qudp.compat; sys.argv is [SCRIPT, ARGS...].",
    )
    run.add_argument("script")
    run.add_argument("args", nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_run)
    args = p.parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
