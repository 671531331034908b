"""`python -m qudp run SCRIPT`: Qt programs run unchanged on qudp, without Qt.

Every run happens in a subprocess whose PYTHONPATH starts with a directory
holding PySide6, PySide2, PySide, PyQt5 and PyQt6 packages that raise on
import: the scripts can only work if the import hook answers first and never
needs the real binding.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = Path(__file__).resolve().parent / "programs"
BINDINGS = ("PySide6", "PySide2", "PySide", "PyQt5", "PyQt6")


@pytest.fixture(scope="module")
def no_qt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which importing any Qt binding fails."""
    stubs = tmp_path_factory.mktemp("no_qt")
    for b in BINDINGS:
        (stubs / b).mkdir()
        (stubs / b / "__init__.py").write_text(
            f"raise ImportError('{b} is not installed here (test stub)')\n"
        )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(stubs), env.get("PYTHONPATH", "")])
    env.pop("QT_QPA_PLATFORM", None)
    # The stub really stops the binding, without the hook:
    r = subprocess.run(
        [sys.executable, "-c", "import PySide6"], env=env, capture_output=True, text=True
    )
    assert r.returncode == 1 and "test stub" in r.stderr
    return env


def run(env: dict[str, str], *args: str, cwd: Path = PROGRAMS) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qudp", "run", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PINGER_OUTPUT = (
    "".join(f"pinger: reply 'ping {i}', ok\n" for i in range(4)) + "summary: 4 replies\n"
)


def test_headless_pyside6_program_runs_unchanged_without_pyside6(no_qt: dict[str, str]) -> None:
    r = run(no_qt, "pyside6_pinger.py", "4")
    assert r.stderr == ""
    assert r.stdout == PINGER_OUTPUT
    assert r.returncode == 0


def test_headless_pyside6_program_prints_the_same_on_pyside6() -> None:
    """The oracle: the same file under real PySide6 prints the same lines."""
    pytest.importorskip("PySide6.QtNetwork")
    r = subprocess.run(
        [sys.executable, str(PROGRAMS / "pyside6_pinger.py"), "4"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (r.returncode, r.stdout) == (0, PINGER_OUTPUT), r.stderr


def test_pyside1_old_style_connect_from_the_original_page(no_qt: dict[str, str]) -> None:
    r = run(no_qt, "pyside1_udp_server.py")
    assert r.stderr == ""
    assert r.stdout.splitlines() == [
        "server got b'first' from 127.0.0.1",
        "server got b'second' from 127.0.0.1",
        "server got b'third' from 127.0.0.1",
        "all 3 datagrams received",
    ]
    assert r.returncode == 0


def test_pyqt5_program_with_pyqtsignal_and_exec_(no_qt: dict[str, str]) -> None:
    r = run(no_qt, "pyqt5_listener.py", str(free_port()))
    assert r.stderr == ""
    assert r.stdout.splitlines() == [
        "message 1 from 127.0.0.1: hello",
        "message 2 from 127.0.0.1: café",
        "printed 2, exit 0",
    ]
    assert r.returncode == 0


def test_pyqt6_program_polling_process_events(no_qt: dict[str, str]) -> None:
    r = run(no_qt, "pyqt6_busy_loop.py", "300")
    assert r.stderr == ""
    assert r.stdout.splitlines() == ["received 300 of 300", "progress reports increasing: True"]
    assert r.returncode == 0


def test_missing_qt_name_is_an_import_error_naming_it(
    no_qt: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "server.py"
    script.write_text("from PySide6.QtNetwork import QUdpSocket, QTcpServer\n")
    r = run(no_qt, str(script))
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: PySide6.QtNetwork.QTcpServer is not available on qudp")
    assert "needs real Qt (PySide6)" in last
    assert "server.py" in r.stderr  # the traceback points into the script

    script.write_text("from PyQt5.QtWidgets import QApplication\n")
    r = run(no_qt, str(script))
    assert "ImportError: PyQt5.QtWidgets is not available on qudp" in r.stderr
    assert "needs real Qt (PyQt5)" in r.stderr

    script.write_text("from PyQt6.QtCore import Signal\n")
    r = run(no_qt, str(script))
    assert "PyQt6.QtCore has no Signal: that is PySide's name" in r.stderr


def test_hasattr_on_a_missing_name_is_false(no_qt: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "probe.py"
    script.write_text(
        "from PySide6 import QtCore, QtNetwork\n"
        "print(hasattr(QtNetwork, 'QTcpSocket'), hasattr(QtNetwork, 'QUdpSocket'),\n"
        "      hasattr(QtCore, 'QThread'), hasattr(QtCore, 'Signal'))\n"
    )
    r = run(no_qt, str(script))
    assert (r.returncode, r.stdout) == (0, "False True False True\n"), r.stderr


def test_argv_main_and_exit_codes_pass_through(no_qt: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(
        "import sys\n"
        "from PySide2.QtCore import QCoreApplication, QTimer\n"
        "print(__name__, sys.argv)\n"
        "app = QCoreApplication(sys.argv)\n"
        "print(app.arguments()[1:])\n"
        "QTimer.singleShot(0, lambda: app.exit(int(sys.argv[1])))\n"
        "sys.exit(app.exec_())\n"
    )
    r = run(no_qt, str(script), "7", "--verbose")
    assert r.stdout.splitlines() == [
        f"__main__ [{str(script)!r}, '7', '--verbose']",
        "['7', '--verbose']",
    ]
    assert r.returncode == 7

    script.write_text("raise RuntimeError('boom')\n")
    r = run(no_qt, str(script))
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == "RuntimeError: boom"
    assert "runpy" not in r.stderr  # the traceback starts at the script

    script.write_text("print('done')\n")
    assert run(no_qt, str(script)).returncode == 0
    r = run(no_qt, str(tmp_path / "missing.py"))
    assert r.returncode == 2 and "missing.py" in r.stderr


def test_script_directory_is_importable(no_qt: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "main.py").write_text("import helper\nprint(helper.VALUE)\n")
    r = run(no_qt, str(tmp_path / "main.py"), cwd=PROGRAMS)
    assert (r.returncode, r.stdout) == (0, "42\n"), r.stderr


def test_an_installed_binding_is_not_imported(tmp_path: Path) -> None:
    """With PySide6 installed (the test extra), `run` still answers first."""
    script = tmp_path / "which.py"
    script.write_text(
        "import sys\n"
        "from PySide6.QtCore import QObject\n"
        "from PySide6.QtNetwork import QUdpSocket\n"
        "print(QObject.__module__, QUdpSocket.__module__,\n"
        "      [m for m in sys.modules if m.startswith(('shiboken', 'PySide6.'))])\n"
    )
    r = run(dict(os.environ), str(script))
    assert r.stdout == (
        "qudp.compat._object qudp.compat._object ['PySide6.QtCore', 'PySide6.QtNetwork']\n"
    ), r.stderr
