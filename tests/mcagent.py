"""A "host" for the cross-namespace tests: a process in its own network namespace.

Started by mcnet.py. It unshares a fresh network namespace, brings lo up,
turns IPv6 duplicate address detection off (so addresses are usable at once),
prints ``ready <pid>`` and then serves JSON requests, one per line:

    {"exec": "python statements"}  -> {"ok": true}
    {"eval": "python expression"}  -> {"ok": true, "value": <JSON>}
    {"sh": "shell command"}        -> {"ok": true, "out": "...", "rc": 0}

Failures come back as {"ok": false, "error": "..."}. Every wait in the helpers
below is bounded; the parent kills the process (and so its namespace) at the
end of the test module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import traceback
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qudp import QAbstractSocket, QHostAddress, QNetworkDatagram, QNetworkInterface, QUdpSocket

import netns


def _sysctl(path: str, value: str) -> None:
    try:
        with open(f"/proc/sys/net/{path}", "w") as f:
            f.write(value)
    except OSError:
        pass


def setup() -> None:
    netns._unshare(netns.CLONE_NEWNET)
    netns.link_up("lo")
    for conf in ("all", "default"):
        _sysctl(f"ipv6/conf/{conf}/accept_dad", "0")
        _sysctl(f"ipv4/conf/{conf}/rp_filter", "0")


def iface(name: str) -> QNetworkInterface:
    i = QNetworkInterface.interfaceFromName(name)
    assert i.isValid(), f"no interface {name}"
    return i


def dgram_info(d: QNetworkDatagram) -> dict[str, Any]:
    return {
        "data": bytes(d.data()).decode("latin-1"),
        "src": d.senderAddress().toString(),
        "dst": d.destinationAddress().toString(),
        "hop": d.hopLimit(),
        "ifname": QNetworkInterface.interfaceNameFromIndex(d.interfaceIndex()),
    }


def collect(sock: QUdpSocket, ms: int = 500, count: int = 0) -> list[dict[str, Any]]:
    """Datagrams arriving within `ms` (or until `count` arrived), with metadata."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + ms / 1000
    while True:
        while sock.hasPendingDatagrams() and len(got) < 10000:
            got.append(dgram_info(sock.receiveDatagram()))
        left = int((deadline - time.monotonic()) * 1000)
        if (count and len(got) >= count) or left <= 0:
            return got
        sock.waitForReadyRead(left)


def send(sock: QUdpSocket, data: str, host: str, port: int) -> int:
    return sock.writeDatagram(data.encode(), QHostAddress(host), port)


def names(ifaces: list[QNetworkInterface]) -> list[str]:
    return sorted(i.name() for i in ifaces)


NS: dict[str, Any] = {
    "QAbstractSocket": QAbstractSocket,
    "QHostAddress": QHostAddress,
    "QNetworkDatagram": QNetworkDatagram,
    "QNetworkInterface": QNetworkInterface,
    "QUdpSocket": QUdpSocket,
    "iface": iface,
    "collect": collect,
    "send": send,
    "names": names,
}


def serve() -> None:
    print(f"ready {os.getpid()}", flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        try:
            if "exec" in req:
                exec(req["exec"], NS)
                resp: dict[str, Any] = {"ok": True}
            elif "eval" in req:
                resp = {"ok": True, "value": eval(req["eval"], NS)}
            else:
                r = subprocess.run(
                    req["sh"], shell=True, capture_output=True, text=True, timeout=20
                )
                resp = {"ok": r.returncode == 0, "out": r.stdout + r.stderr, "rc": r.returncode}
        except Exception:
            resp = {"ok": False, "error": traceback.format_exc()}
        print(json.dumps(resp), flush=True)


if __name__ == "__main__":
    try:
        setup()
    except OSError as e:
        print(f"error cannot create a network namespace: {e}", flush=True)
        sys.exit(1)
    serve()
