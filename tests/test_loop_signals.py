"""Signals never call Python (eq, del, repr) while holding their slot lock.

A slot object whose __del__ or __eq__ touches the same signal used to hang
the process, so each case runs in a subprocess with a deadline.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import gc, sys, warnings
from qudp import QTimer
sig = QTimer().timeout
log = []
"""

CASES = {
    "del_connects_on_disconnect": """
class Slot:
    def __call__(self): pass
    def __del__(self):
        sig.connect(print)  # touches the signal while it is being disconnected
        log.append("del")
s = Slot()
conn = sig.connect(s)
del s
assert sig.disconnect(conn) is True
gc.collect()
assert log == ["del"], log
""",
    "del_disconnects_on_disconnect_all": """
class Slot:
    def __call__(self): pass
    def __del__(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sig.disconnect()
        log.append("del")
sig.connect(Slot())
assert sig.disconnect() is True
assert log == ["del"], log
""",
    "eq_connects_on_disconnect": """
class Slot:
    def __call__(self): pass
    def __eq__(self, other):
        if armed:
            sig.connect(print)  # re-enters the signal from the comparison
            log.append("eq")
        return self is other
    __hash__ = object.__hash__
armed = False
s = Slot()
sig.connect(s)
sig.connect(print)  # compared first (newest): print == s asks s.__eq__
armed = True
assert sig.disconnect(s) is True
assert "eq" in log
""",
    "eq_disconnects_the_candidate": """
class Slot:
    def __call__(self): pass
    def __eq__(self, other):
        if armed and not log:
            log.append("eq")
            sig.disconnect(conn)  # removes the very slot being compared
        return True
    __hash__ = object.__hash__
armed = False
conn = sig.connect(Slot())
armed = True
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sig.disconnect(Slot())  # True or False: the candidate went meanwhile
assert log == ["eq"]
assert "0 slot" in repr(sig), repr(sig)
""",
    "del_of_dead_method_slot_on_emit": """
import types
class Recv:
    pass
class Func:
    # The function of a method slot whose receiver died: emit() drops it
    # when it prunes dead connections.
    def __call__(self, recv): log.append("slot")
    def __del__(self): sig.connect(print); log.append("del")
r = Recv()
sig.connect(types.MethodType(Func(), r))
del r
gc.collect()
sig.emit()
assert log == ["del"], log
""",
    "slot_disconnects_itself_during_emit_and_is_dropped": """
class Slot:
    def __call__(self):
        log.append("call")
        sig.disconnect(conn)
    def __del__(self):
        sig.connect(lambda: None)
        log.append("del")
conn = sig.connect(Slot())
sig.emit()
gc.collect()
assert log == ["call", "del"], log
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_slot_object_reentering_the_signal_does_not_hang(name: str) -> None:
    code = textwrap.dedent(PRELUDE) + textwrap.dedent(CASES[name]) + "\nprint('ok')\n"
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: the process hung (lock held while calling Python)")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
