"""Test-suite setup: the whole run happens in a private network namespace.

Set QUDP_REQUIRE_NETNS=1 (CI does) to fail instead of skipping the tests
that need the namespace when it cannot be created.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import netns

NETNS_PROBLEM = netns.enter()
IN_NETNS = NETNS_PROBLEM is None


def pytest_configure(config: pytest.Config) -> None:
    if not IN_NETNS and os.environ.get("QUDP_REQUIRE_NETNS") == "1":
        raise pytest.UsageError(f"QUDP_REQUIRE_NETNS=1 but {NETNS_PROBLEM}")
    config.addinivalue_line("markers", "netns: needs the private network namespace")


def pytest_report_header(config: pytest.Config) -> str:
    return "network: private namespace" if IN_NETNS else f"network: host loopback ({NETNS_PROBLEM})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_NETNS:
        return
    skip = pytest.mark.skip(reason=NETNS_PROBLEM or "no private network namespace")
    for item in items:
        if "netns" in item.keywords:
            item.add_marker(skip)


def _has_ipv6() -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAS_IPV6 = _has_ipv6()


@pytest.fixture(params=["v4", "v6"])
def family(request: pytest.FixtureRequest) -> str:
    if request.param == "v6" and not HAS_IPV6:
        pytest.skip("no IPv6 loopback on this machine")
    return request.param


@pytest.fixture
def loopback(family: str) -> str:
    return "127.0.0.1" if family == "v4" else "::1"
