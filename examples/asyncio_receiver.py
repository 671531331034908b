"""Receive datagrams inside a running asyncio loop (uvloop works too).

python examples/asyncio_receiver.py --count 3 &
python -m qudp send 127.0.0.1 7756 hello
"""

from __future__ import annotations

import argparse
import asyncio

from qudp import QHostAddress, QUdpSocket


async def main(port: int, count: int, timeout: float) -> int:
    sock = QUdpSocket()
    if not sock.bind(QHostAddress.LocalHost, port):
        print(f"cannot bind: {sock.errorString()}")
        return 1
    print(f"listening on 127.0.0.1:{sock.localPort()}", flush=True)

    async def receive() -> None:
        n = 0
        async for datagram in sock.datagrams():
            sender = f"{datagram.senderAddress().toString()}:{datagram.senderPort()}"
            print(f"{sender} {datagram.data().decode()}", flush=True)
            n += 1
            if n == count:
                break

    try:
        await asyncio.wait_for(receive(), timeout or None)
    except TimeoutError:
        print("timed out")
    sock.close()
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7756)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--uvloop", action="store_true", help="run on uvloop")
    a = p.parse_args()
    if a.uvloop:
        import uvloop

        raise SystemExit(uvloop.run(main(a.port, a.count, a.timeout)))
    raise SystemExit(asyncio.run(main(a.port, a.count, a.timeout)))
