"""Shared pieces of the benchmarks: timing, the database URL, printing ratios."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPSERVER = [sys.executable, "-m", "mapserver"]


def database_url() -> str:
    """Return the database the benchmarks use: DATABASE_URL or the project's own.

    The peers connect with it; our server and CLI are run with the environment as it
    is (MAPSERVER_HOME set), so they log in as its roles like in production.
    """
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    out = subprocess.run([*MAPSERVER, "db", "url"], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return out.stdout.strip()


def timed(command: list[str], *, env=None, repeat: int = 3) -> float:
    """Return the median wall time of running a command `repeat` times."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ratio_line(what: str, ours: float, peer: float, peer_name: str, unit: str = "s") -> str:
    """Return one printed line: both figures and their ratio."""
    return (f"{what}: mapserver {ours:.3f} {unit}, {peer_name} {peer:.3f} {unit}, "
            f"ratio {ours / peer:.2f}x")
