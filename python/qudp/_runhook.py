"""``python -m qudp run SCRIPT``: run a Qt script's UDP and QtCore use on qudp.

An import hook (a meta path finder placed first) answers the script's
``PySide6``/``PySide2``/``PySide``/``PyQt5``/``PyQt6`` imports with modules
built from qudp (QtNetwork's UDP classes) and qudp.compat (QtCore). It never
imports the real binding, so the script runs with or without Qt installed.
A Qt name qudp lacks raises ImportError naming it: such a script needs real
Qt, with qudp's socket hosted in Qt's own event loop (docs/porting.md).
"""

from __future__ import annotations

import dis
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import traceback
import types
from collections.abc import Sequence
from typing import Any

BINDINGS = ("PySide6", "PySide2", "PySide", "PyQt5", "PyQt6")
_PYSIDE = {"PySide6", "PySide2", "PySide"}

_NETWORK = (
    "QAbstractSocket",
    "QHostAddress",
    "QNetworkAddressEntry",
    "QNetworkDatagram",
    "QNetworkInterface",
    "QUdpSocket",
)
_CORE = ("QByteArray", "QCoreApplication", "QEventLoop", "QObject", "QTimer", "Qt")
# Each binding's own spelling; the other one is absent there too.
_CORE_PYSIDE = ("SIGNAL", "SLOT", "Signal", "SignalInstance", "Slot")
_CORE_PYQT = ("pyqtBoundSignal", "pyqtSignal", "pyqtSlot")
_GUI = ("QGuiApplication",)

_DOC = "docs/porting.md"
_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def _names(binding: str, sub: str) -> tuple[str, ...]:
    if sub == "QtNetwork":
        return _NETWORK
    if sub == "QtCore":
        extra = _CORE_PYSIDE if binding in _PYSIDE else _CORE_PYQT
        # PySide (1) and PySide2 still have SIGNAL/SLOT; so does PySide6.
        return _CORE + extra
    if sub == "QtGui":
        return _GUI
    return ()


def _needs_qt(binding: str, what: str) -> str:
    return (
        f"{what} is not available on qudp: `python -m qudp run` provides QtNetwork's "
        f"UDP classes and part of QtCore without Qt, so this script needs real Qt "
        f"({binding}): install it and use qudp's sockets inside Qt's event loop "
        f"instead (see {_DOC})"
    )


def _from_import() -> bool:
    """Is the frame that asked for a missing attribute running `from M import X`?"""
    f = sys._getframe(2)
    code = f.f_code.co_code
    return 0 <= f.f_lasti < len(code) and code[f.f_lasti] == _IMPORT_FROM


class _Missing:
    """Module ``__getattr__``: a missing Qt name is an ImportError in
    ``from M import X`` and an AttributeError otherwise (so hasattr works);
    both name it and say the script needs real Qt."""

    def __init__(self, module: str, binding: str, hint: dict[str, str]) -> None:
        self.module = module
        self.binding = binding
        self.hint = hint

    def __call__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module {self.module!r} has no attribute {name!r}")
        msg = _needs_qt(self.binding, f"{self.module}.{name}")
        if name in self.hint:
            msg = f"{self.module} has no {name}: {self.hint[name]}"
        if _from_import():
            raise ImportError(msg, name=self.module)
        raise AttributeError(msg)


def _hints(binding: str) -> dict[str, str]:
    if binding in _PYSIDE:
        return {n: "that is PyQt's name; PySide's are Signal and Slot" for n in _CORE_PYQT}
    return {n: "that is PySide's name; PyQt's are pyqtSignal and pyqtSlot" for n in _CORE_PYSIDE}


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return types.ModuleType(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        binding, _, sub = module.__name__.partition(".")
        module.__dict__["__qudp_compat__"] = True
        if not sub:
            module.__path__ = []  # a package, so `import PySide6.QtCore` works
            module.__dict__["__getattr__"] = _Missing(binding, binding, {})
            return
        import qudp
        import qudp.compat

        names = _names(binding, sub)
        for n in names:
            # compat's QUdpSocket is qudp's, plus QObject (sender(), parent).
            src = qudp.compat if hasattr(qudp.compat, n) else qudp
            setattr(module, n, getattr(src, n))
        module.__all__ = list(names)  # type: ignore[attr-defined]
        hint = _hints(binding) if sub == "QtCore" else {}
        module.__dict__["__getattr__"] = _Missing(module.__name__, binding, hint)


class QtFinder(importlib.abc.MetaPathFinder):
    """Answers imports of the Qt bindings with qudp; other modules pass."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        binding, _, sub = fullname.partition(".")
        if binding not in BINDINGS:
            return None
        if sub and (sub not in ("QtCore", "QtNetwork", "QtGui")):
            raise ImportError(_needs_qt(binding, fullname), name=fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=not sub)


def install() -> QtFinder:
    """Put the finder first on sys.meta_path (once) and return it."""
    for f in sys.meta_path:
        if isinstance(f, QtFinder):
            return f
    finder = QtFinder()
    sys.meta_path.insert(0, finder)
    return finder


def run(script: str, argv: Sequence[str]) -> int:
    """Run `script` as ``__main__`` with ``sys.argv = [script, *argv]``; its
    SystemExit passes through. Returns 0 when it ends normally, 1 (with the
    traceback, from the script's frames on) when it raises."""
    if not os.path.exists(script):
        print(f"qudp run: can't open file {script!r}: no such file", file=sys.stderr)
        return 2
    install()
    sys.argv = [script, *argv]
    # As `python script.py` does: the script's directory comes first.
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    try:
        runpy.run_path(script, run_name="__main__")
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as e:
        tb = e.__traceback__
        target = os.path.abspath(script)
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return 1
    return 0
