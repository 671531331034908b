"""qudp inside a running Qt event loop, on PySide6, PyQt6 and PyQt5.

Each program in tests/qt_host_programs/ keeps the binding's widgets and
QtCore and takes QUdpSocket/QHostAddress from qudp. It runs in a subprocess
per binding (the bindings cannot share a process, and PySide6 6.12 may crash
on its own refcount bugs), on the offscreen platform, sending to 127.0.0.1
only, and prints one JSON line that the test checks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROGRAMS = Path(__file__).parent / "qt_host_programs"
BINDINGS = ["PySide6", "PyQt6", "PyQt5"]

# PySide6 6.12 on CPython 3.11 leaks a reference to None per processEvents()
# call and aborts after about 5,000: its busy loop stays below that; the
# PyQt bindings run the full 20,000 calls.
BUSY_CALLS = {"PySide6": 4000, "PyQt6": 20000, "PyQt5": 20000}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(binding: str, program: str, *args: object, waiter: bool = False) -> dict[str, Any]:
    if importlib.util.find_spec(binding) is None:
        pytest.skip(f"{binding} is not installed")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QUDP_QT_BINDING=binding)
    if waiter:
        env["QUDP_HOST_WAITER"] = "1"
    proc = subprocess.run(
        [sys.executable, str(PROGRAMS / program), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=50,
        env=env,
        cwd=PROGRAMS,
    )
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    result: dict[str, Any] = json.loads(lines[-1])
    # qudp found the binding the program imported and imported no other.
    assert result.pop("bindings") == [binding]
    # Events came the way asked for: a waiter thread only when forced (on
    # Linux Qt watches the reactor's descriptor).
    assert result.pop("waiter") is waiter
    return result


@pytest.fixture(params=BINDINGS)
def binding(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_dialog_receiver_shows_last_datagram(binding: str) -> None:
    r = run(binding, "dialog_receiver.py", free_port(), 50)
    assert r == {
        "exit": 0,
        "sent": 50,
        "received": 50,
        "in_order": True,
        "label": 'Received datagram: "Broadcast message 49"',
    }


def test_core_application_with_qobjects_and_qt_signals(binding: str) -> None:
    r = run(binding, "core_signals.py", free_port(), 100)
    assert r["exit"] == 0
    assert (r["nested"], r["woke"]) == (0, True)  # Qt's QEventLoop quit by readyRead
    assert (r["lines"], r["in_order"]) == (100, True)
    assert r["ticks"] >= 1  # a qudp QTimer inside app.exec()
    # Direct during bind(), queued after it returned.
    assert r["order"] == ["direct", "bind returned", "queued"]
    assert r["states"] == ["BoundState"]


def test_waiter_thread_host(binding: str) -> None:
    """Windows's way (no reactor descriptor): a waiter thread wakes a socket
    pair the QSocketNotifier watches. Forced here with QUDP_HOST_WAITER."""
    r = run(binding, "dialog_receiver.py", free_port(), 50, waiter=True)
    assert (r["received"], r["in_order"], r["exit"]) == (50, True, 0)
    r = run(binding, "core_signals.py", free_port(), 100, waiter=True)
    assert (r["lines"], r["in_order"], r["nested"], r["woke"]) == (100, True, 0, True)
    assert r["ticks"] >= 1
    r = run(binding, "modal_dialog.py", free_port(), waiter=True)
    assert r["timer_result"] == 1
    assert r["during"]["slot_dialog"] >= 10


def test_modal_dialogs_keep_delivering(binding: str) -> None:
    r = run(binding, "modal_dialog.py", free_port())
    assert r["exit"] == 0
    assert r["timer_result"] == 1  # closed by its timer, not the watchdog
    assert r["during"]["timer_dialog"] >= 10
    assert r["during"]["slot_dialog"] >= 10


def test_process_events_busy_loop(binding: str) -> None:
    calls = BUSY_CALLS[binding]
    r = run(binding, "busy_loop.py", free_port(), calls)
    assert (r["received"], r["in_order"]) == (200, True)
    # qudp timers fire inside the busy loop (the 5 ms one if it lasted that long).
    assert r["fired"] == ["zero", "5ms"] or (r["fired"] == ["zero"] and r["seconds"] < 0.006)
    # No polling: Qt called into qudp about once per datagram, not per call.
    assert r["runs"] <= 2 * 200 + 20, r


def test_qudp_event_loop_inside_qt_program(binding: str) -> None:
    r = run(binding, "own_loop.py", free_port(), 100)
    assert r == {
        "attached": True,
        "own_exec": 0,
        "qt_exec": 0,
        "after_exec": 100,
        "after_process": 200,
        "total": 300,
        "exact": True,
        "empty_calls": 0,
    }


def test_connect_to_qt_signals_and_connection_types(binding: str) -> None:
    r = run(binding, "connect_qt.py")
    closing = ["state:ClosingState", "state:UnconnectedState"]
    assert r == {
        # A Qt signal with no argument gets none of stateChanged's one.
        "direct": ["bare", "state:BoundState"],
        "disconnect_qt": True,
        # The direct connection to withState ran during close(); the queued
        # one only on the next pass of the loop.
        "queued_during_emit": closing,
        "queued_after": closing + closing,
        "disconnect_queued_qt": [True, True, True, True],
        "after_receivers_deleted": "survived",
        "unique": [True, False],  # the second is refused (a false connection)
        "unique_calls": 1,
    }


def test_attach_explicitly_and_again_after_a_new_application(binding: str) -> None:
    r = run(binding, "lifecycle.py", free_port())
    assert r == {
        "before_app": False,
        "explicit": True,
        "first_app": ["x"],
        "after_delete": False,
        "second_app": ["x"],
        "reattached": True,
    }


def test_qthread_worker_socket_runs_on_its_thread(binding: str) -> None:
    r = run(binding, "worker_thread.py", free_port(), 50)
    assert r == {
        "received": 50,
        "exit": 0,
        "worker_attached": True,
        "main_attached": False,
        "threads": ["worker"],
        "main_thread_is_other": True,
        "hosts_left": 0,
    }


def test_widget_example(binding: str) -> None:
    if importlib.util.find_spec(binding) is None:
        pytest.skip(f"{binding} is not installed")
    port = free_port()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    example = Path(__file__).parent.parent / "examples" / "qt_broadcastreceiver.py"
    args = ["--port", str(port), "--count", "3", "--timeout", "20", "--binding", binding]
    with subprocess.Popen(
        [sys.executable, str(example), *args], stdout=subprocess.PIPE, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("Listening")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(3):
                s.sendto(b"message %d" % i, ("127.0.0.1", port))
        lines = [proc.stdout.readline().strip() for _ in range(3)]
        assert proc.wait(timeout=30) == 0
    assert lines == [f'Received datagram: "message {i}"' for i in range(3)]


def test_backlog_does_not_starve_qt_and_timers_are_never_early(binding: str) -> None:
    r = run(binding, "flood.py", free_port(), 1000)
    assert (r["exit"], r["read"]) == (0, 1000)
    # Qt's zero timer ran between qudp's activations (0 if qudp drained the
    # whole backlog, one datagram per readyRead, in one go).
    assert r["ticks_during"] >= 2
    assert (r["timers"], r["early_ms"]) == (3, [])
