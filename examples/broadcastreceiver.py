"""Qt's Broadcast Receiver example, ported to qudp (no GUI).

Binds port 45454 with ShareAddress (so several receivers can run on one
host) and prints every datagram, as Qt's example shows it in its label.
Bounded by `--count` datagrams and `--timeout` seconds.

    python examples/broadcastreceiver.py --count 3
"""

from __future__ import annotations

import argparse
import sys
import time

from qudp import QUdpSocket


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=45454)
    p.add_argument("--count", type=int, default=0, help="stop after this many (0: no limit)")
    p.add_argument("--timeout", type=float, default=60.0, help="stop after this many seconds")
    args = p.parse_args(argv)

    udp_socket = QUdpSocket()
    if not udp_socket.bind(args.port, QUdpSocket.ShareAddress):
        print(f"cannot bind port {args.port}: {udp_socket.errorString()}", file=sys.stderr)
        return 1
    print(f"Listening for broadcasted messages on port {args.port}", flush=True)
    received = 0
    deadline = time.monotonic() + args.timeout
    while (args.count == 0 or received < args.count) and time.monotonic() < deadline:
        if not udp_socket.waitForReadyRead(200):
            continue
        while udp_socket.hasPendingDatagrams():
            datagram = udp_socket.receiveDatagram()
            print(f'Received datagram: "{bytes(datagram.data()).decode()}"', flush=True)
            received += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
