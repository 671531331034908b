"""PySide6 as the oracle for differential tests (a test-only extra).

PySide6 6.12 on CPython 3.11 leaks a reference to None on some calls and
aborts after a few thousand (SPEC §6): differential tests stay few and never
call the leaking ones (close(), socketOption() returning None).
"""

from __future__ import annotations

from typing import Any

import pytest

_app: Any = None


def qtnetwork() -> Any:
    """PySide6.QtNetwork with a QCoreApplication alive, or skip."""
    global _app
    try:
        from PySide6 import QtCore, QtNetwork
    except ImportError as e:  # pragma: no cover - the test extra installs it
        pytest.skip(f"PySide6 is not installed: {e}")
    _app = QtCore.QCoreApplication.instance() or QtCore.QCoreApplication([])
    return QtNetwork


def dump_interfaces(ni: Any) -> list[tuple[Any, ...]]:
    """Everything QNetworkInterface reports, in a comparable form (qudp or Qt)."""
    out = []
    for i in ni.allInterfaces():
        entries = [
            (
                e.ip().toString(),
                e.netmask().toString(),
                e.broadcast().toString(),
                e.prefixLength(),
            )
            for e in i.addressEntries()
        ]
        out.append(
            (
                i.name(),
                i.humanReadableName(),
                i.index(),
                i.flags().value,
                i.type().value,
                i.hardwareAddress(),
                i.maximumTransmissionUnit(),
                i.isValid(),
                entries,
            )
        )
    return out
