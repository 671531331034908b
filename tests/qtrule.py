"""Qt's readyRead rule, driven the same way on qudp and on PySide6 (the oracle).

A ``Rig`` owns a receiver and a sender on one backend and executes small
commands (send k datagrams, run the loop until quiet, read k datagrams
outside any slot, change what the readyRead slot does, close and rebind).
Each command returns an observation: readyRead emissions during the command,
re-entries of the slot, the payloads read (tagged with where they were
read), and ``hasPendingDatagrams()`` afterwards.

The Qt rig lives in one long-lived subprocess (``python tests/qtrule.py qt``)
that reads one JSON command per line and answers one JSON line; ``Oracle``
runs it and starts a fresh one when its budget of leaking calls is spent:
PySide6 6.12 on CPython 3.11 loses a reference to None on every
processEvents / exec / singleShot / close call and aborts after about 5,000
(SPEC section 6). qudp runs in the test process with the same ``Rig``.

Loopback delivery is synchronous (the datagram is in the receiver's queue
when ``writeDatagram`` returns), so no command needs to sleep except while
a ``QTimer.singleShot`` read is due.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace
from typing import Any

HELPER = os.path.abspath(__file__)

# What the readyRead slot does on each emission, in this order:
#   reads  0, 1 or -1 (all) datagrams, before or after the sends ("rs"/"sr");
#   sends  0..2 datagrams from the sender (they arrive while the slot runs);
#   extra  "none", "nest" (a nested processEvents loop until quiet),
#          "exec" (a nested QEventLoop.exec() quit by a 5 ms timer), or
#          "later" (QTimer.singleShot(ms, default 2) reads one datagram).
DEFAULT_MODE: dict[str, Any] = {"reads": 0, "sends": 0, "order": "rs", "extra": "none", "ms": 2}
LATER_MS = 2
EXEC_MS = 5
MAX_RUN_CALLS = 60  # loop calls per "run until quiet"
MAX_RUN_SECONDS = 2.0
MAX_NEST_CALLS = 8
QUIET_CALLS = 2  # consecutive calls with nothing happening = quiet


def backend(kind: str) -> SimpleNamespace:
    if kind == "qt":
        from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
        from PySide6.QtNetwork import QHostAddress, QUdpSocket

        app = QCoreApplication.instance() or QCoreApplication([])
        flag = QEventLoop.ProcessEventsFlag.AllEvents
    else:
        from qudp import QEventLoop, QHostAddress, QTimer, QUdpSocket

        app = None
        flag = QEventLoop.AllEvents
    return SimpleNamespace(
        kind=kind,
        app=app,
        QUdpSocket=QUdpSocket,
        QHostAddress=QHostAddress,
        QEventLoop=QEventLoop,
        QTimer=QTimer,
        flag=flag,
    )


class Rig:
    def __init__(self, m: SimpleNamespace) -> None:
        self.m = m
        self.calls = 0  # calls that leak on PySide6 6.12 (processEvents, exec, singleShot, close)
        self.loop = m.QEventLoop()
        self.local = m.QHostAddress("127.0.0.1")
        self.rx: Any = None
        self.tx: Any = None
        self.gen = 0
        self.reset(0)

    # -- commands ---------------------------------------------------------

    def do(self, cmd: dict[str, Any]) -> dict[str, Any]:
        self.obs: dict[str, Any] = {"emits": 0, "reenter": 0, "got": []}
        op = cmd["op"]
        if op == "reset":
            self.reset(cmd["budget"])
        elif op == "mode":
            self.mode = {**DEFAULT_MODE, **cmd["mode"]}
        elif op == "send":
            for _ in range(cmd["k"]):
                self._send_one(force=True)
        elif op == "run":
            self._run(nested=False)
        elif op == "pump":
            # One loop call: the first emission, and no more than that.
            self.loop.processEvents(self.m.flag, 5)
            self.calls += 1
        elif op == "read":
            self._read(cmd["k"], "o", cmd.get("api", "read"))
        elif op == "size":
            self.obs["size"] = self.rx.pendingDatagramSize()
        elif op == "rebind":
            self.rx.close()
            self.calls += 1
            self.obs["bound"] = self.rx.bind(self.local, self.port)
        else:
            raise ValueError(f"unknown op {op!r}")
        if cmd.get("probe", True):
            # Optional: on Qt the probe changes nothing, so it must not on qudp either.
            self.obs["has"] = bool(self.rx.hasPendingDatagrams())
        return self.obs

    def reset(self, budget: int) -> None:
        """New sockets; ``budget`` bounds the datagrams that slots may send."""
        self.gen += 1
        self.rx = self.m.QUdpSocket()
        self.tx = self.m.QUdpSocket()
        assert self.rx.bind(self.local, 0) and self.tx.bind(self.local, 0)
        self.port = self.rx.localPort()
        self.rx.readyRead.connect(self._on_ready_read)
        self.mode = dict(DEFAULT_MODE)
        self.depth = 0
        self.timers = 0
        self.seq = 0
        self.budget = budget

    # -- the slot and its helpers ----------------------------------------

    def _on_ready_read(self) -> None:
        self.obs["emits"] += 1
        if self.depth:
            # Qt never emits readyRead from inside its own readyRead slot.
            self.obs["reenter"] += 1
            return
        self.depth += 1
        try:
            mode = self.mode
            if mode["order"] == "rs":
                self._read(mode["reads"], "s")
            for _ in range(mode["sends"]):
                self._send_one(force=False)
            if mode["order"] == "sr":
                self._read(mode["reads"], "s")
            extra = mode["extra"]
            if extra == "nest":
                self._run(nested=True)
            elif extra == "exec":
                self._exec()
            elif extra == "later":
                self._later(mode["ms"])
        finally:
            self.depth -= 1

    def _send_one(self, force: bool) -> None:
        if not force:
            if self.budget <= 0:
                return
            self.budget -= 1
        self.seq += 1
        n = self.tx.writeDatagram(b"p%d" % self.seq, self.local, self.port)
        assert n >= 0, self.tx.errorString()

    def _read(self, k: int, where: str, api: str = "read") -> None:
        n = 0
        while (k < 0 or n < k) and self.rx.hasPendingDatagrams():
            if api == "read":
                data = self.rx.readDatagram(100)[0]
            else:
                data = self.rx.receiveDatagram().data()
            self.obs["got"].append(where + ":" + bytes(data).decode())
            n += 1

    def _later(self, ms: int) -> None:
        gen = self.gen

        def fire() -> None:
            self.timers -= 1
            if gen == self.gen:
                self._read(1, "t")

        self.timers += 1
        self.calls += 1
        self.m.QTimer.singleShot(ms, fire)

    def _exec(self) -> None:
        loop = self.m.QEventLoop()
        self.m.QTimer.singleShot(EXEC_MS, loop.quit)
        loop.exec()
        self.calls += 2

    def _activity(self) -> tuple[int, int]:
        return (self.obs["emits"], len(self.obs["got"]))

    def _run(self, nested: bool) -> None:
        """Process events until quiet: nothing emitted or read for two calls
        and (at the top level) no singleShot read still due."""
        loop = self.m.QEventLoop() if nested else self.loop
        limit = MAX_NEST_CALLS if nested else MAX_RUN_CALLS
        deadline = time.monotonic() + MAX_RUN_SECONDS
        quiet = 0
        for _ in range(limit):
            waiting = not nested and self.timers > 0
            if waiting:
                time.sleep(LATER_MS / 1000)
            before = self._activity()
            loop.processEvents(self.m.flag, 5)
            self.calls += 1
            if self._activity() != before or waiting:
                quiet = 0
            else:
                quiet += 1
                if quiet >= QUIET_CALLS:
                    return
            if time.monotonic() > deadline:
                break
        self.obs["timeout"] = "nested" if nested else "top"


# --------------------------------------------------------------------------
# The Qt oracle: one subprocess, restarted when its budget is spent


class Oracle:
    """PySide6 in a subprocess, answering Rig commands over a pipe."""

    BUDGET = 3000  # leaking Qt calls before a fresh process; PySide6 aborts near 5,000

    def __init__(self, kind: str = "qt") -> None:
        self.kind = kind
        self.proc: subprocess.Popen[str] | None = None
        self.calls = 0
        self.restarts = 0
        self.err = tempfile.TemporaryFile(mode="w+")

    def _start(self) -> None:
        self.close()
        self.proc = subprocess.Popen(
            [sys.executable, HELPER, self.kind],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            bufsize=1,
        )
        self.calls = 0
        self.restarts += 1

    def do(self, cmd: dict[str, Any]) -> dict[str, Any]:
        if self.proc is None or (cmd["op"] == "reset" and self.calls > self.BUDGET):
            self._start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        line = self.proc.stdout.readline()
        if not line:
            rc = self.proc.wait(5)
            self.err.seek(0)
            tail = self.err.read()[-2000:]
            self.close()
            raise RuntimeError(f"the {self.kind} oracle died (rc {rc}) on {cmd}: {tail}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the {self.kind} oracle failed on {cmd}: {answer['error']}")
        self.calls = answer["calls"]
        return answer["obs"]

    def shutdown(self) -> None:
        self.close()
        self.err.close()

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.stdin:
                self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None


def run_script(rig: Any, script: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run commands on a Rig or an Oracle; the observations in order."""
    return [rig.do(cmd) for cmd in script]


def main(kind: str) -> None:
    out = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # stray prints must not corrupt the pipe
    rig = Rig(backend(kind))
    for line in sys.stdin:
        try:
            obs = rig.do(json.loads(line))
            answer = {"obs": obs, "calls": rig.calls}
        except Exception as e:
            answer = {"error": f"{type(e).__name__}: {e}", "calls": rig.calls}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    out.flush()
    os._exit(0)  # PySide6's refcount bugs must not crash the exit


if __name__ == "__main__":
    main(sys.argv[1])
