"""Move the test process into a private network namespace.

Every test then runs with its own loopback and nothing else: no datagram a
test sends can leave this machine, and multicast or broadcast never touches
the host's interfaces. Root uses CLONE_NEWNET directly; other users first
get a user namespace (CLONE_NEWUSER) where they are root.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import os
import socket
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def link_up(name: str = "lo") -> None:
    """Bring an interface up with SIOCSIFFLAGS (no iproute2 needed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH", name.encode(), 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req + b"\0" * 22)[:18])[
            1
        ]
        fcntl.ioctl(
            s.fileno(),
            SIOCSIFFLAGS,
            struct.pack("16sH", name.encode(), flags | IFF_UP) + b"\0" * 22,
        )


def enter() -> str | None:
    """Enter a fresh network (and mount) namespace; None on success, else why not."""
    if not hasattr(os, "getuid") or not os.path.exists("/proc/self/ns/net"):
        return "not Linux"
    try:
        if os.getuid() == 0:
            _unshare(CLONE_NEWNET | CLONE_NEWNS)
        else:
            uid, gid = os.getuid(), os.getgid()
            _unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
            _write("/proc/self/gid_map", f"0 {gid} 1")
        link_up("lo")
    except OSError as e:
        return f"cannot create a private network namespace: {e}"
    return None
