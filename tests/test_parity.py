"""Differential parity: the same scenarios on qudp and on PySide6 (the oracle).

The scenarios live in qtparity.py. Each backend runs all of them in its own
subprocess (PySide6 6.12 leaks and can crash at exit, so it never runs in the
pytest process) and prints one JSON observation per scenario; the tests here
compare the two.

- ``test_same_as_qt``: qudp's observation equals Qt's, except for the paths
  listed in GAPS.
- ``test_gap``: one per entry of GAPS, a difference from Qt that is not in
  docs/semantics.md. Each is ``xfail(strict=True)``: when qudp is fixed the
  test passes, xfail strict turns that into a failure, and the entry must go.
- ``test_designed_*``: the deliberate differences of docs/semantics.md, with
  Qt's side and qudp's side each checked against what the document says.

The scenarios send broadcast datagrams, so they run only inside the private
network namespace of conftest.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from qtparity import SCENARIOS

pytestmark = pytest.mark.netns

if importlib.util.find_spec("PySide6") is None:
    pytest.skip(
        "PySide6 is not installed (pip install PySide6-Essentials)", allow_module_level=True
    )

HELPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qtparity.py")
Path = tuple[Any, ...]


# --------------------------------------------------------------------------
# Running the scenarios


def _collect(kind: str) -> dict[str, dict[str, Any]]:
    """Run every scenario on one backend; a crash costs only its scenario."""
    results: dict[str, dict[str, Any]] = {}
    todo = list(SCENARIOS)
    while todo:
        proc = subprocess.run(
            [sys.executable, HELPER, kind, *todo],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        for line in proc.stdout.splitlines():
            rec = json.loads(line)
            if "name" in rec:
                results[rec["name"]] = rec
        if "__import__" in results:
            return results
        todo = [n for n in todo if n not in results]
        if todo:
            dead = todo.pop(0)
            results[dead] = {
                "name": dead,
                "exception": f"the {kind} runner died (rc {proc.returncode}) in this scenario",
                "traceback": proc.stderr[-3000:],
            }
    return results


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, dict[str, Any]]]:
    with ThreadPoolExecutor(2) as pool:
        qt, qu = pool.map(_collect, ["qt", "qudp"])
    if "__import__" in qt:
        pytest.skip(f"PySide6 does not import: {qt['__import__']['exception']}")
    assert "__import__" not in qu, qu["__import__"]["exception"]
    return {"qt": qt, "qudp": qu}


def _pair(runs: dict[str, dict[str, dict[str, Any]]], name: str) -> tuple[Any, Any]:
    out = []
    for kind in ("qt", "qudp"):
        rec = runs[kind].get(name)
        assert rec is not None, f"{kind}: no output for {name}"
        assert "exception" not in rec, (
            f"{kind} raised in {name}: {rec['exception']}\n{rec.get('traceback', '')}"
        )
        out.append(rec["result"])
    return out[0], out[1]


def _get(obj: Any, path: Path) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def _mask(obj: Any, paths: list[Path]) -> Any:
    """A copy of obj with the value at each path replaced by a marker."""
    obj = json.loads(json.dumps(obj))
    for p in paths:
        if not p:
            return "<gap>"
        parent = _get(obj, p[:-1])
        parent[p[-1]] = "<gap>"
    return obj


# --------------------------------------------------------------------------
# Known differences from Qt that docs/semantics.md does not list


@dataclass(frozen=True)
class Gap:
    id: str
    scenario: str
    paths: tuple[Path, ...]
    reason: str


GAPS = [
    Gap(
        "second_disconnect_of_same_slot",
        "signal_connect_twice",
        (("disc2",), ("afterDisc2",), ("warnings",)),
        "PySide: a second disconnect(f) while f is still connected twice returns False with "
        "RuntimeWarning 'libpyside: Failed to disconnect (...)' and removes nothing; qudp "
        "returns True and removes one more connection",
    ),
    Gap(
        "bind_after_failed_bind_reuses_family",
        "bind_after_failed_bind",
        (("v4fail->v6",), ("v6fail->v4",)),
        "Qt keeps the engine of a failed bind and the next bind reuses its address family: "
        "v4 fail then bind(::1) gives True with localAddress 0.0.0.0/IPv4; v6 fail then "
        "bind(127.0.0.1) fails (Unconnected). qudp starts afresh (::1/IPv6; True, Bound)",
    ),
    Gap(
        "datagram_sender_ignored_on_ipv4_send",
        "datagram_send_options",
        (("setSender",),),
        "writeDatagram of a QNetworkDatagram with setSender(127.0.0.5) from an IPv4 socket "
        "(LocalHost or AnyIPv4): on Linux Qt puts the address in ipi_addr, which the kernel "
        "ignores, so the receiver sees 127.0.0.1; qudp's receiver sees 127.0.0.5. From a "
        "dual-stack socket both give 127.0.0.5",
    ),
    Gap(
        "close_in_connecting_state",
        "set_socket_descriptor_states",
        (("Connecting", "closeSignals"), ("Connecting", "stateAfterClose")),
        "setSocketDescriptor(fd, ConnectingState) then close(): Qt emits only aboutToClose "
        "and stays in ConnectingState (a pending close); qudp emits the full close sequence "
        "and goes Unconnected",
    ),
    Gap(
        "destroy_bound_socket_signals",
        "destroy_bound",
        (("bound",),),
        "destroying a bound socket: Qt's destructor calls abort(), so connected slots get "
        "stateChanged(UnconnectedState) and readChannelFinished; qudp emits nothing",
    ),
]

_GAP_PATHS: dict[str, list[Path]] = {}
for _g in GAPS:
    _GAP_PATHS.setdefault(_g.scenario, []).extend(_g.paths)

COMPARED = [n for n in SCENARIOS if not n.startswith("designed_")]


@pytest.mark.parametrize("name", COMPARED)
def test_same_as_qt(name: str, runs: Any) -> None:
    qt, qu = _pair(runs, name)
    paths = _GAP_PATHS.get(name, [])
    assert _mask(qu, paths) == _mask(qt, paths)


@pytest.mark.parametrize(
    "gap",
    [pytest.param(g, id=g.id, marks=pytest.mark.xfail(strict=True, reason=g.reason)) for g in GAPS],
)
def test_gap(gap: Gap, runs: Any) -> None:
    qt, qu = _pair(runs, gap.scenario)
    assert [_get(qu, p) for p in gap.paths] == [_get(qt, p) for p in gap.paths]


def test_gap_paths_exist(runs: Any) -> None:
    # A mistyped path would make its xfail pass for the wrong reason.
    for g in GAPS:
        qt, qu = _pair(runs, g.scenario)
        for p in g.paths:
            _get(qt, p)
            _get(qu, p)


def test_every_scenario_ran_and_qt_was_driven_gently(runs: Any) -> None:
    for kind in ("qt", "qudp"):
        missing = [n for n in SCENARIOS if n not in runs[kind]]
        assert not missing, f"{kind}: {missing}"
    # PySide6 6.12 aborts after ~5000 processEvents calls in one process.
    assert runs["qt"]["__meta__"]["result"]["pumps"] < 1000


# --------------------------------------------------------------------------
# Deliberate differences (docs/semantics.md, "Deliberate differences")


def test_designed_data_types(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_data_types")
    # Payloads are QByteArray on both (qudp's is an immutable bytes subclass).
    assert qt[:2] == ["QByteArray", "QByteArray"]
    assert qu == qt  # type names, content, len() and slicing


def test_designed_read_nothing_pending(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_read_nothing_pending")
    assert qt.startswith("not run")
    # b"" and TemporaryError; the error part is what Qt does as well.
    assert qu["read10"] == [
        "b:",
        "",
        0,
        "TemporaryError",
        "No datagram available for reading",
        [["errorOccurred", ["TemporaryError"]]],
    ]
    assert qu["read-1"].startswith("raised ValueError") and "maxlen" in qu["read-1"]
    assert qu["stateAfter"] == "BoundState"


def test_designed_write_none(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_write_none")
    assert qt == {"ret": 0, "got": ["b:"]}  # PySide sends an empty datagram
    assert qu["ret"].startswith("raised TypeError") and "data" in qu["ret"]
    assert qu["got"] == []


def test_designed_memoryview(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_memoryview")
    assert qt == {"ret": "raised ValueError", "got": []}
    assert qu == {"ret": 2, "got": ["b:" + b"mv".hex()]}


def test_designed_string_address(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_string_address")
    for key in ("bind str", "bind bogus", "write str", "write bogus"):
        assert qt[key].startswith("raised TypeError"), key
    assert qt["got"] == []
    assert qu["bind str"] is True and qu["bind str state"] == "BoundState"
    assert qu["write str"] == 1 and qu["got"] == ["b:73"]
    assert qu["bind bogus"].startswith("raised ValueError") and "address" in qu["bind bogus"]
    assert qu["write bogus"].startswith("raised ValueError") and "host" in qu["write bogus"]


def test_designed_port_overflow(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_port_overflow")
    for key in ("bind 70000", "bind -1", "write 70000"):
        assert qt[key] == "raised OverflowError: ", key
        assert qu[key].startswith("raised OverflowError: ") and "port" in qu[key], key
    assert qu["bind 70000"].endswith("70000") and qu["bind -1"].endswith("-1")
    assert qt["state"] == qu["state"] == ["UnconnectedState", "UnknownSocketError"]


def test_designed_wrong_family_destination(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_wrong_family_destination")
    assert set(qt) == set(qu) and len(qu) == 3
    for label in qt:
        # Qt sends to 0.0.0.0, which is this host.
        assert qt[label]["ret"] == 2 and qt[label]["got"] is not None, label
        assert qt[label]["signals"] == [["bytesWritten", [2]]], label
        assert qu[label] == {
            "ret": -1,
            "error": "NetworkError",
            "signals": [["errorOccurred", ["NetworkError"]]],
            "got": None,
        }, label


def test_designed_second_error(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_second_error")
    tl, ne = "DatagramTooLargeError", "NetworkError"
    # Qt repeats the first engine error ...
    assert qt["tooLarge,port0"][0] == tl
    assert qt["tooLarge,port0"][2] == [["errorOccurred", [tl]], ["errorOccurred", [tl]]]
    assert qt["port0,tooLarge"][0] == ne
    assert qt["tooLarge,waitTimeout"][:2] == [False, tl]
    assert qt["tooLarge,waitTimeout"][3] == "UnconnectedState"
    # ... qudp reports each new one (and a wait timeout is a timeout).
    assert qu["tooLarge,port0"] == [
        ne,
        "Unable to send a message",
        [["errorOccurred", [tl]], ["errorOccurred", [ne]]],
    ]
    assert qu["port0,tooLarge"] == [
        tl,
        "Datagram was too large to send",
        [["errorOccurred", [ne]], ["errorOccurred", [tl]]],
    ]
    assert qu["tooLarge,waitTimeout"] == [
        False,
        "SocketTimeoutError",
        [["errorOccurred", ["SocketTimeoutError"]]],
        "BoundState",
    ]


def test_designed_connrefused_on_send(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_connrefused_on_send")
    assert qt["error"] == ["NetworkError", "Unable to send a message"]
    assert qu["error"] == ["ConnectionRefusedError", "Connection refused"]
    # Same shape otherwise, and the socket stays usable after the error.
    for side in (qt, qu):
        assert side["adopted"] is True and side["writes"] == [1, -1, 1]
        assert side["state"] == "ConnectedState"
    assert qu["signals"] == [
        ["bytesWritten", [1]],
        ["errorOccurred", ["ConnectionRefusedError"]],
        ["bytesWritten", [1]],
    ]


def test_designed_close_after_failed_bind(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_close_after_failed_bind")
    assert qt["before"] == qu["before"] == ["fd", True]
    assert qt["after"] == ["fd", True]
    assert qu["after"] == [-1, False]
    assert qt["sig"] == qu["sig"] == []


def test_designed_address_pickle(runs: Any) -> None:
    qt, qu = _pair(runs, "designed_address_pickle")
    assert qt == {
        "copy": "fe80::1%lo",
        "deepcopy": "raised TypeError",
        "pickle": "raised TypeError",
        "hash": True,
    }
    assert qu == {
        "copy": "fe80::1%lo",
        "deepcopy": "fe80::1%lo",
        "pickle": "fe80::1%lo",
        "hash": True,
    }


def test_every_designed_scenario_is_checked() -> None:
    designed = {n for n in SCENARIOS if n.startswith("designed_")}
    checked = {n.removeprefix("test_") for n in globals() if n.startswith("test_designed_")}
    assert designed <= checked
