"""Receive on one UDP port with several cores: N receivers, each with its own
socket bound with BindFlag.LoadBalance (SO_REUSEPORT on Linux) and its own
QEventLoop, as threads of this process or as separate processes.

    python examples/reuseport_receiver.py --port 45454 --threads 4
    python examples/reuseport_receiver.py --port 45454 --processes 4

The kernel picks the socket for each datagram from a hash of its addresses
and ports, so one sender (one source port) always lands on the same
receiver: spread the load with many senders or source ports. Each receiver
prints how many datagrams it read when --seconds have passed (or on Ctrl+C).
See docs/allcores.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import threading

from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket

loops: list[QEventLoop] = []  # this process's receivers, for Ctrl+C


def say(line: str) -> None:
    """One line in one write: receivers in several processes share stdout."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def receive(name: str, address: str, port: int, seconds: float) -> None:
    """One receiver: its socket and its loop live on the calling thread."""
    sock = QUdpSocket()
    if not sock.bind(QHostAddress(address), port, QUdpSocket.LoadBalance):
        print(f"{name}: bind failed: {sock.errorString()}", file=sys.stderr, flush=True)
        return
    count = 0

    def read_pending() -> None:
        nonlocal count
        # readPayloads releases the GIL around recvmmsg, so the other
        # threads' receivers run meanwhile.
        while batch := sock.readPayloads():
            count += len(batch)

    sock.readyRead.connect(read_pending)
    loop = QEventLoop()
    loops.append(loop)
    if seconds > 0:
        QTimer.singleShot(int(seconds * 1000), loop.quit)
    say(f"{name}: listening on {address}:{port}")
    try:
        loop.exec()
    finally:
        read_pending()
        say(f"{name}: {count} datagrams")
        sock.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--port", type=int, default=45454)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--threads", type=int, default=0, help="N receiver threads")
    how.add_argument("--processes", type=int, default=0, help="N receiver processes")
    p.add_argument("--seconds", type=float, default=0, help="stop after this long (0: Ctrl+C)")
    a = p.parse_args(argv)
    if a.processes:
        procs = [
            multiprocessing.Process(
                target=receive, args=(f"process {i}", a.address, a.port, a.seconds)
            )
            for i in range(a.processes)
        ]
        for pr in procs:
            pr.start()
        try:
            for pr in procs:
                pr.join()
        except KeyboardInterrupt:  # each child got it too and prints its count
            for pr in procs:
                pr.join()
    else:
        threads = [
            threading.Thread(target=receive, args=(f"thread {i}", a.address, a.port, a.seconds))
            for i in range(max(a.threads, 1))
        ]
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        except KeyboardInterrupt:
            for loop in loops:
                loop.quit()  # safe from another thread
            for t in threads:
                t.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
