"""The README is executed: its example runs and its commands work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_example_runs_and_prints_what_it_says(capsys) -> None:  # type: ignore[no-untyped-def]
    block = re.search(r"```python\n(.*?)```", README, re.S)
    assert block, "README has a python example"
    code = block.group(1)
    ns: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), ns)
    ns["receiver"].close()  # type: ignore[attr-defined]
    expected = re.search(r"print\(received\)\s+# (.*)", code)
    assert expected
    assert capsys.readouterr().out.strip() == expected.group(1)


def test_readme_demo_command() -> None:
    assert "python -m qudp demo" in README
    r = subprocess.run(
        [sys.executable, "-m", "qudp", "demo", "--count", "500"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "summary: sent 500, received 500, in order: yes" in r.stdout


def test_cli_send_and_listen() -> None:
    listener = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qudp",
            "listen",
            "47001",
            "--bind",
            "127.0.0.1",
            "--count",
            "1",
            "--timeout",
            "20",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert listener.stdout is not None
    assert listener.stdout.readline().startswith("listening on 127.0.0.1:47001")
    sent = subprocess.run(
        [sys.executable, "-m", "qudp", "send", "127.0.0.1", "47001", "hello there"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert sent.returncode == 0 and "sent 11 bytes" in sent.stdout
    out, _ = listener.communicate(timeout=30)
    assert listener.returncode == 0
    assert re.match(r"127\.0\.0\.1:\d+ hello there", out.strip())


def test_cli_rejects_bad_arguments() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "qudp", "send", "nowhere", "99999", "x"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2
    assert "not an IPv4 or IPv6 address" in r.stderr
