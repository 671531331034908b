"""A small network of namespaced hosts for the multicast and broadcast tests.

The test process already runs in a private network namespace (conftest.py).
Inside it, `Net` starts "hosts": child processes (mcagent.py) that each
unshare a network namespace of their own. Bridges in the test's namespace
play the part of switches; each host gets veth links plugged into them:

    ip link add <hub-end> type veth peer name <ifname> netns <pid>
    ip link set <hub-end> master <bridge> up

IGMP/MLD snooping is off on the bridges, so they flood multicast like a
plain hub and what a receiver gets is decided by its own kernel's group
membership, which is what the tests are about. Nothing here can reach the
machine's real interfaces: the namespaces only have the links made here.
Killing a host removes its namespace and its links; `close()` does that and
deletes the bridges.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from typing import Any

AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mcagent.py")


class NetError(RuntimeError):
    pass


def sh(cmd: str) -> str:
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        raise NetError(f"{cmd!r} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def _sysctl(path: str, value: str) -> None:
    try:
        with open(f"/proc/sys/net/{path}", "w") as f:
            f.write(value)
    except OSError:
        pass


class Host:
    """One namespaced host, driven over a pipe."""

    def __init__(self, name: str, timeout: float = 10.0) -> None:
        self.name = name
        self.timeout = timeout
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            [sys.executable, AGENT],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self._readline()
        if not line.startswith("ready "):
            self.close()
            raise NetError(f"host {name}: {line.strip() or 'agent did not start'}")
        self.pid = int(line.split()[1])

    def _readline(self) -> str:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], self.timeout)
        if not ready:
            raise NetError(f"host {self.name}: no answer within {self.timeout}s\n{self.stderr()}")
        return self.proc.stdout.readline()

    def stderr(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def request(self, **req: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self._readline()
        if not line:
            raise NetError(f"host {self.name} died\n{self.stderr()}")
        resp: dict[str, Any] = json.loads(line)
        return resp

    def exec(self, code: str) -> None:
        r = self.request(exec=code)
        if not r["ok"]:
            raise NetError(f"host {self.name}: {code!r}\n{r['error']}")

    def eval(self, expr: str) -> Any:
        r = self.request(eval=expr)
        if not r["ok"]:
            raise NetError(f"host {self.name}: {expr!r}\n{r['error']}")
        return r["value"]

    def sh(self, cmd: str) -> str:
        r = self.request(sh=cmd)
        if not r["ok"]:
            raise NetError(f"host {self.name}: {cmd!r}: {r.get('out') or r.get('error')}")
        return str(r["out"])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
        self.log.close()


class Net:
    """Hosts and bridges; `link()` plugs a host into a bridge."""

    def __init__(self) -> None:
        self.hosts: dict[str, Host] = {}
        self.bridges: list[str] = []
        self._n = 0
        for conf in ("all", "default"):
            _sysctl(f"ipv6/conf/{conf}/accept_dad", "0")
            _sysctl(f"ipv4/conf/{conf}/rp_filter", "0")

    def bridge(self, name: str, v4: str | None = None, v6: str | None = None) -> None:
        sh(f"ip link add {name} type bridge mcast_snooping 0")
        self.bridges.append(name)
        sh(f"ip link set {name} up")
        if v4:
            sh(f"ip addr add {v4} dev {name}")
        if v6:
            sh(f"ip -6 addr add {v6} dev {name} nodad")

    def host(self, name: str) -> Host:
        h = Host(name)
        self.hosts[name] = h
        return h

    def link(
        self, bridge: str, host: str, ifname: str, v4: str | None = None, v6: str | None = None
    ) -> None:
        h = self.hosts[host]
        self._n += 1
        hub_end = f"qv{self._n}"
        sh(f"ip link add {hub_end} type veth peer name {ifname} netns {h.pid}")
        sh(f"ip link set {hub_end} master {bridge} up")
        cmds = [f"ip link set {ifname} up"]
        if v4:
            cmds.append(f"ip addr add {v4} dev {ifname}")
        if v6:
            cmds.append(f"ip -6 addr add {v6} dev {ifname} nodad")
        h.sh(" && ".join(cmds))

    def wait_links_up(self, timeout: float = 5.0) -> None:
        """Until every host sees its links running (carrier on both ends)."""
        deadline = time.monotonic() + timeout
        for h in self.hosts.values():
            while not h.eval(
                "all(i.flags() & QNetworkInterface.IsRunning for i in "
                "QNetworkInterface.allInterfaces())"
            ):
                if time.monotonic() > deadline:
                    raise NetError(f"host {h.name}: links not running after {timeout}s")
                time.sleep(0.02)

    def close(self) -> None:
        for h in self.hosts.values():
            h.close()
        self.hosts.clear()
        for b in self.bridges:
            subprocess.run(["ip", "link", "del", b], capture_output=True, timeout=20)
        self.bridges.clear()


def standard() -> Net:
    """Three hosts (a, b, c) and three segments:

    br1: a.e1 10.71.0.1 fd71::1, b.e1 10.71.0.2 fd71::2, c.e1 10.71.0.3 fd71::3,
         and the test process itself on the bridge: 10.71.0.254 fd71::fe
    br2: a.e2 10.72.0.1 fd72::1, b.e2 10.72.0.2 fd72::2
    br3: a.e3 fd73::1, b.e3 fd73::2 (no IPv4 address at all)
    No host has a default route or a multicast route.
    """
    net = Net()
    try:
        net.bridge("br1", "10.71.0.254/24", "fd71::fe/64")
        net.bridge("br2")
        net.bridge("br3")
        for h in "abc":
            net.host(h)
        for i, h in enumerate("abc", 1):
            net.link("br1", h, "e1", f"10.71.0.{i}/24", f"fd71::{i}/64")
        for i, h in enumerate("ab", 1):
            net.link("br2", h, "e2", f"10.72.0.{i}/24", f"fd72::{i}/64")
            net.link("br3", h, "e3", None, f"fd73::{i}/64")
        net.wait_links_up()
    except BaseException:
        net.close()
        raise
    return net
