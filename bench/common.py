"""Shared helpers for the benchmarks: a scratch database per run, timing, memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def setup_django(var_dir: str | None = None) -> None:
    """Point OpenSRO at a scratch SQLite file (or at OPENSRO_DATABASE_URL) and migrate."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opensro.settings")
    # Measure as in production: no debug query log (it would slow every statement).
    os.environ.setdefault("OPENSRO_DEBUG", "0")
    if var_dir:
        os.environ["OPENSRO_VAR_DIR"] = var_dir
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


@contextmanager
def timed(label: str, results: dict[str, float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    results[label] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_phase(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run one phase in its own process, so its peak memory is its own."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{script} {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def scratch_dir() -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix="run-", dir=OUT)


def _pss_kb(pid: int | str) -> int:
    """Proportional set size of one process in KiB (pages shared by n processes count
    1/n in each), or 0 if it has ended."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[str]:
    found: list[str] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as f:
                found.extend(f.read().split())
    except OSError:
        return found
    return found


@contextmanager
def pss_peak(result: dict[str, float], every: float = 0.1) -> Iterator[None]:
    """Sample the proportional set size of this process plus its children every
    ``every`` seconds and put the largest sum seen, in MB, in ``result["pss_mb"]``:
    the memory the process and its helpers use between them, each shared page once."""
    import threading

    stop = threading.Event()
    me = os.getpid()
    peak = [0]

    def sample() -> None:
        while not stop.is_set():
            total = _pss_kb(me) + sum(_pss_kb(child) for child in _children(me))
            peak[0] = max(peak[0], total)
            stop.wait(every)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        result["pss_mb"] = peak[0] / 1024
