"""The same Qt widget program receiving through qudp's QUdpSocket and through
PySide6's own QUdpSocket, both inside PySide6's event loop (app.exec()).

    python benches/qt_host.py [--count 100000] [--rounds 3] [--rate 20000]

The program (one process per run, offscreen platform): a QDialog with a
QLabel; readyRead drains the socket with hasPendingDatagrams /
pendingDatagramSize / readDatagram, decodes each payload and shows the last
one in the label (--bare: no label update). Only the QUdpSocket class differs.

Modes:
  prequeue  COUNT datagrams of 64 bytes wait in the receiver's kernel queue
            (a separate sender filled it); the receiver's CPU time from
            app.exec() until the last one is read, per datagram.
  stream    a sender paces COUNT datagrams at RATE/s; the receiver's CPU time
            per datagram and its CPU load (CPU time over the time in app.exec(),
            which includes 0.2 s before the stream starts).

Every datagram is accounted for (received == sent, else the row says how
many were lost). Runs in a private network namespace when it can (root or
user namespaces), 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
DGRAM = 64


# -- the receiver (a child process) -------------------------------------------


def receiver(impl: str, count: int, bare: bool) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    if impl == "qudp":
        from qudp import QUdpSocket
    else:
        from PySide6.QtNetwork import QUdpSocket

    # The descriptor comes from Python so both get the same forced buffer.
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        raw.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    except OSError:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    raw.bind(("127.0.0.1", 0))
    port = raw.getsockname()[1]

    app = QtWidgets.QApplication([])

    class Receiver(QtWidgets.QDialog):
        def __init__(self) -> None:
            super().__init__()
            self.label = QtWidgets.QLabel("Listening", self)
            self.udpSocket = QUdpSocket(self)
            self.udpSocket.setSocketDescriptor(raw.detach())
            self.udpSocket.readyRead.connect(self.processPendingDatagrams)
            self.received = 0
            self.calls = 0

        def processPendingDatagrams(self) -> None:
            self.calls += 1
            text = ""
            while self.udpSocket.hasPendingDatagrams():
                data, _host, _port = self.udpSocket.readDatagram(
                    self.udpSocket.pendingDatagramSize()
                )
                text = bytes(data).decode()
                self.received += 1
            if text and not bare:
                self.label.setText(text)
            if self.received >= count:
                app.quit()

    dialog = Receiver()
    dialog.show()
    print(json.dumps({"port": port}), flush=True)
    sys.stdin.readline()  # "go": the sender has filled the queue (prequeue) or starts now
    # If datagrams were lost, stop after a second without new ones.
    last = [0]

    def check() -> None:
        if dialog.received == last[0]:
            app.quit()
        last[0] = dialog.received

    idle = QtCore.QTimer()
    idle.timeout.connect(check)
    idle.start(1000)
    cpu0, t0 = time.process_time(), time.perf_counter()
    app.exec()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    print(
        json.dumps({"cpu": cpu, "wall": wall, "received": dialog.received, "calls": dialog.calls}),
        flush=True,
    )
    os._exit(0)  # PySide6 6.12's refcount bugs must not crash the shutdown


# -- the runner -----------------------------------------------------------------


def one(impl: str, mode: str, count: int, rate: float, bare: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--receiver", impl, "--count", str(count)]
    proc = subprocess.Popen(
        cmd + (["--bare"] if bare else []),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        port = json.loads(proc.stdout.readline())["port"]
        payload = b"x" * (DGRAM - 8)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("127.0.0.1", port))
            if mode == "prequeue":
                for i in range(count):
                    s.send(b"%08d" % i + payload)
                time.sleep(0.2)  # loopback delivery finishes in softirq
                proc.stdin.write("go\n")
                proc.stdin.flush()
            else:
                proc.stdin.write("go\n")
                proc.stdin.flush()
                time.sleep(0.2)
                start = time.perf_counter()
                for i in range(count):
                    due = start + i / rate
                    delay = due - time.perf_counter()
                    if delay > 0.0005:
                        time.sleep(delay)
                    s.send(b"%08d" % i + payload)
        out: dict[str, Any] = json.loads(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()
    out["lost"] = count - out["received"]
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rate", type=float, default=20_000.0, help="stream mode: datagrams/s")
    p.add_argument("--modes", default="prequeue,stream")
    p.add_argument("--bare", action="store_true", help="count only, no label update")
    p.add_argument("--receiver", choices=["qudp", "qt"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.receiver:
        receiver(args.receiver, args.count, args.bare)
        return 0
    from receive import enter_netns

    net = enter_netns()
    print(f"# qudp vs PySide6 QUdpSocket in one PySide6 widget program ({net})")
    what = "count only (--bare)" if args.bare else "label shows the last one per readyRead"
    print(f"# {args.count} datagrams of {DGRAM} bytes, {what}, median of {args.rounds} rounds\n")
    print("| mode | socket | CPU µs/datagram | readyRead calls | CPU load | lost |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for mode in args.modes.split(","):
        for impl in ("qudp", "qt"):
            runs = [one(impl, mode, args.count, args.rate, args.bare) for _ in range(args.rounds)]
            per = statistics.median(r["cpu"] / max(1, r["received"]) * 1e6 for r in runs)
            calls = statistics.median(r["calls"] for r in runs)
            load = statistics.median(r["cpu"] / r["wall"] for r in runs)
            lost = max(r["lost"] for r in runs)
            name = "qudp.QUdpSocket" if impl == "qudp" else "PySide6 QUdpSocket"
            label = mode if mode == "prequeue" else f"stream {args.rate:.0f}/s"
            shown = f"{load:.0%}" if mode == "stream" else "-"
            print(f"| {label} | {name} | {per:.2f} | {calls:.0f} | {shown} | {lost} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
