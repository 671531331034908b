"""What a new user meets: the version in one place, a light import."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import qudp


def test_version_is_the_package_metadata() -> None:
    assert qudp.__version__ == importlib.metadata.version("qudp")
    out = subprocess.run(
        [sys.executable, "-m", "qudp", "--version"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"qudp {qudp.__version__}"


def test_import_does_not_pull_in_asyncio_or_typing() -> None:
    # Compared with the interpreter's own start-up (site hooks may import some).
    probe = "print(sorted(m for m in ('asyncio', 'typing') if m in sys.modules))"
    runs = [
        subprocess.run(
            [sys.executable, "-c", f"import sys{extra}; {probe}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        for extra in ("", ", qudp")
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert runs[1].stdout == runs[0].stdout
    # ... and qudp.aio still works when asked for.
    code = "import qudp; print(qudp.aio.attach.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "attach", out.stderr


def test_every_public_name_has_a_docstring() -> None:
    """help() shows something for every public class, function and method."""
    import inspect

    import qudp

    missing = []
    for name in qudp.__all__:
        obj = getattr(qudp, name)
        if not (obj.__doc__ or "").strip():
            missing.append(name)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                if attr.startswith("_") or not callable(value):
                    continue
                if not (getattr(value, "__doc__", None) or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []
