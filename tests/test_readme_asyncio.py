"""The README's event-loop and asyncio snippets run (with bounded stops)."""

from __future__ import annotations

import re
from pathlib import Path

from qudp import QHostAddress, QTimer, QUdpSocket

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_event_loop_snippet(capsys) -> None:  # type: ignore[no-untyped-def]
    code = next(b for b in BLOCKS if "loop.exec()" in b)
    # Same program, shorter timeout, and a datagram sent once the loop runs.
    code = code.replace("10_000", "300")
    send = QUdpSocket()
    QTimer.singleShot(20, lambda: send.writeDatagram(b"ping", QHostAddress.LocalHost, 7755))
    ns: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), ns)
    ns["sock"].close()  # type: ignore[attr-defined]
    assert re.search(r"127\.0\.0\.1 \d+ b'ping'", capsys.readouterr().out)


def test_asyncio_snippet(capsys) -> None:  # type: ignore[no-untyped-def]
    code = next(b for b in BLOCKS if "asyncio.run(main())" in b)
    code = code.replace("asyncio.run(main())   # or uvloop.run(main())", "")
    ns: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), ns)
    import asyncio

    async def drive() -> None:
        task = asyncio.ensure_future(ns["main"]())  # type: ignore[operator]
        tx = QUdpSocket()
        for p in (b"first", b"second"):
            await asyncio.sleep(0.02)
            tx.writeDatagram(p, QHostAddress.LocalHost, 7756)
        await asyncio.sleep(0.1)
        task.cancel()

    asyncio.run(drive())
    assert "b'second'" in capsys.readouterr().out


def test_virtual_connection_snippet(capsys) -> None:  # type: ignore[no-untyped-def]
    code = next(b for b in BLOCKS if "connectToHost" in b)
    ns: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), ns)
    for name in ("server", "client"):
        ns[name].close()  # type: ignore[attr-defined]
    expected = re.search(r"print\(data, client\.read\(100\)\)\s+# (.*)", code)
    assert expected
    assert capsys.readouterr().out.strip() == expected.group(1)
