"""Qt's Broadcast Sender example, ported to qudp (no GUI).

Every `--interval` seconds it broadcasts "Broadcast message N" to port 45454
of 255.255.255.255 (QHostAddress.Broadcast), like Qt's example; `--address`
picks a subnet broadcast address instead. qudp, like Qt, turns SO_BROADCAST
on for every socket it creates, so nothing else is needed.

    python examples/broadcastsender.py --count 3
"""

from __future__ import annotations

import argparse
import sys
import time

from qudp import QHostAddress, QUdpSocket


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", default="255.255.255.255", help="broadcast address")
    p.add_argument("--port", type=int, default=45454)
    p.add_argument("--count", type=int, default=5, help="datagrams to send (0: forever)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between datagrams")
    args = p.parse_args(argv)

    udp_socket = QUdpSocket()
    address = QHostAddress(args.address)
    print(f"Ready to broadcast datagrams on port {args.port}", flush=True)
    message_no = 1
    while args.count == 0 or message_no <= args.count:
        print(f"Now broadcasting datagram {message_no}", flush=True)
        datagram = f"Broadcast message {message_no}".encode()
        if udp_socket.writeDatagram(datagram, address, args.port) < 0:
            print(f"broadcast failed: {udp_socket.errorString()}", file=sys.stderr)
            return 1
        message_no += 1
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
