"""QHostAddress(text) reads text exactly as Qt does.

The plain cases are counter-examples found by fuzzing against PySide6 (and
PySide6's answer for each). The fuzz test feeds hypothesis-generated strings
to one long-lived PySide6 subprocess over a pipe and compares isNull(),
protocol(), toString(), scopeId() and setAddress()'s result.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qudp import QHostAddress

# (text, PySide6 6.12's toString(), or None when the address is null)
QT_ANSWERS = [
    ("0. 0.0.0", "0.0.0.0"),
    ("127.0.0.1\x00junk", "127.0.0.1"),
    ("3\x00", "0.0.0.3"),
    ("::1\x00junk", "::1"),
    ("1::0:1: 1", "1::1:1"),
    ("::9D\x0007A\t  e1xA", "::9d"),
    ("fe80::0:1234\x005:1]", "fe80::1234"),
    ("::\x00abc", None),
    ("0b101", "0.0.0.5"),
    ("+1.+2", "1.0.0.2"),
    ("1. +2.3.4", "1.2.3.4"),
    (" +1", "0.0.0.1"),
    ("::ffff: 1.2.3.4", "::ffff:1.2.3.4"),
    ("::ffff:01.2.3.4", None),
    ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
    ("1::2:3:4:5:6:7:8", None),
    ("00001::", None),
    ("0x1::", "1::"),
    ("+ff::", "ff::"),
    ("12345::", None),
    ("1.16777215", "1.255.255.255"),
    ("1.16777216", None),
    ("4294967296", None),
    ("0x", None),
    ("fe80::1%", "fe80::1"),
    ("1.2.3.4%x", None),
    ("\u00e9", None),
]


@pytest.mark.parametrize(("text", "want"), QT_ANSWERS)
def test_qt_answer(text: str, want: str | None) -> None:
    a = QHostAddress(text)
    b = QHostAddress()
    ok = b.setAddress(text)
    assert ok is (want is not None)
    if want is None:
        assert a.isNull() and a.toString() == "" and b.isNull()
    else:
        assert not a.isNull() and a.toString() == want and b.toString() == want


def test_nul_ends_the_text_and_never_gives_an_empty_valid_address() -> None:
    a = QHostAddress()
    assert a.setAddress("127.0.0.1\x00junk") is True
    assert a.toString() == "127.0.0.1" and a.protocol() == QHostAddress.IPv4Protocol
    assert a.setAddress("\x00127.0.0.1") is False
    assert a.isNull() and a.toString() == ""


def test_scope_kept_as_given() -> None:
    a = QHostAddress("fe80::1%a b")
    assert (a.toString(), a.scopeId()) == ("fe80::1%a b", "a b")


# --------------------------------------------------------------------------
# Differential fuzzing against PySide6

ORACLE = r"""
import json, sys
from PySide6.QtNetwork import QHostAddress
for line in sys.stdin:
    t = json.loads(line)
    a = QHostAddress(t)
    b = QHostAddress()
    ok = b.setAddress(t)
    print(json.dumps([a.isNull(), a.protocol().name, a.toString(), a.scopeId(), ok]), flush=True)
"""


class Oracle:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ORACLE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def ask(self, text: str) -> list[Any]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the PySide6 oracle died (rc {self.proc.poll()})"
        return list(json.loads(line))

    def close(self) -> None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()
        self.proc.stdout.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    if importlib.util.find_spec("PySide6") is None:
        pytest.skip("PySide6 is not installed (pip install PySide6-Essentials)")
    o = Oracle()
    yield o
    o.close()


def mine(text: str) -> list[Any]:
    a = QHostAddress(text)
    b = QHostAddress()
    ok = b.setAddress(text)
    return [a.isNull(), a.protocol().name, a.toString(), a.scopeId(), ok]


CHARS = "0123456789.:abcdefABCDEFxX%[] \x00\t+-"
hexes = st.sampled_from(["", "0", "1", "00", "ff", "FFFF", "fe80", "12345", "0x1", " 1", "+a"])
decs = st.sampled_from(
    ["0", "1", "01", "08", "255", "256", "0x7f", "0b1", " 2", "+3", "4294967295"]
)
ipv4ish = st.lists(decs, min_size=1, max_size=5).map(".".join)
ipv6ish = st.builds(
    lambda parts, tail, scope: ":".join(parts) + tail + scope,
    st.lists(hexes, min_size=1, max_size=10),
    st.sampled_from(["", ":1.2.3.4", ".1", "::"]),
    st.sampled_from(["", "%", "%eth0", "%1", "%a b"]),
)
noise = st.text(alphabet=CHARS, max_size=24)


@st.composite
def addresses(draw: st.DrawFn) -> str:
    text = draw(st.one_of(noise, ipv4ish, ipv6ish))
    # Sprinkle the characters Qt treats specially anywhere in the text.
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(CHARS)) + text[at:]
    return text


@settings(
    max_examples=2000,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=addresses())
def test_same_as_pyside6(oracle: Oracle, text: str) -> None:
    assert mine(text) == oracle.ask(text)
