"""Construction is safe while the garbage collector runs (issue 10, review 0).

A Python subclass's instance dict is allocated inside the base's tp_new; a
collection triggered there traverses the half-built object. Run in a child
so a crash fails the test instead of killing pytest.
"""

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import gc
    import qudp

    gc.set_threshold(1, 1, 1)  # collect at nearly every allocation

    class S(qudp.QUdpSocket):
        pass

    class T(qudp.QTimer):
        pass

    class D(qudp.QNetworkDatagram):
        pass

    class L(qudp.QEventLoop):
        pass

    junk = []
    for i in range(2000):
        objs = [qudp.QUdpSocket(), S(), T(), D(), L(), qudp.QAbstractSocket()]
        junk.append([i, {}, objs[i % len(objs)]])
        if len(junk) > 40:
            junk.clear()
    print("survived")
    """
)


def test_construction_under_constant_gc():
    r = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert r.stdout.strip() == "survived"
