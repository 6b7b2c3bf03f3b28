"""Features out of the server: page through all parcels and download them, beside TiPg.

Both servers run as real processes on loopback ports against the same database
and the same parcels (TiPg reads the view layers."parcels"), one worker each.
Paging follows `next` links with limit=10000 (both servers' maximum).  The
whole-layer GeoJSON is our streamed download; TiPg has no whole-layer
download, so its figure is paging with its maximum page size, which is how a
client gets the whole layer from it.  The time is the time spent waiting for
the servers' bytes (client-side JSON decoding excluded).  TiPg serves the
view as it is, staff columns included (it has no notion of them), so its pages
are ~17% larger.  Peak memory is the largest VmHWM (peak
resident set) of the server's processes after the run.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests
from common import ROOT, database_url

from mapserver.cli.serve import server_command

TIPG_VENV = ROOT / "var" / "bench-tipg"
REPEAT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tipg_python() -> Path:
    """Install TiPg into its own virtualenv on first use (never into the project's)."""
    python = TIPG_VENV / "bin" / "python"
    if not (TIPG_VENV / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tipg", "uvicorn"],
                       check=True)
    return python


def _wait(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        for child in children:
            pids += _tree(int(child))
    return pids


def _peak_rss_mb(pid: int) -> float:
    """Return the largest peak resident set (VmHWM) among the process and its children."""
    peak = 0
    for each in _tree(pid):
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return peak / 1024


def _page_all(url: str) -> tuple[int, float]:
    """Follow next links; return (features, seconds spent waiting for the server's bytes).

    Decoding the JSON on the client is left out of the time: it costs the same
    per byte whichever server answered and would hide the servers' difference.
    """
    count, waited, session = 0, 0.0, requests.Session()
    while url:
        started = time.perf_counter()
        page = session.get(url, headers={"Accept": "application/geo+json"}, timeout=300)
        waited += time.perf_counter() - started
        page.raise_for_status()
        doc = page.json()
        count += len(doc["features"])
        url = next((link["href"] for link in doc.get("links", []) if link["rel"] == "next"),
                   None)
    return count, waited


def _download(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    response = requests.get(url, timeout=300)
    waited = time.perf_counter() - started
    response.raise_for_status()
    return len(response.json()["features"]), waited


def _rates(measures: dict) -> dict:
    """Run each (action, url) REPEAT times, interleaved so both servers see the same load.

    Returns name -> (median features per second, features per run).
    """
    for action, target in measures.values():
        action(target)  # warm each server (pool, caches) once
    rates = {name: [] for name in measures}
    counts = {}
    for _ in range(REPEAT):
        for name, (action, target) in measures.items():
            counts[name], waited = action(target)
            rates[name].append(counts[name] / waited)
    return {name: (statistics.median(rates[name]), counts[name]) for name in measures}


def _serve(command, env, probe):
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait(probe, process)
    except Exception:
        process.terminate()
        raise
    return process


def _stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def run() -> list[str]:
    """Measure both servers side by side and return the printed lines with ratios."""
    url = database_url()
    env = dict(os.environ, MAPSERVER_HOME=str(ROOT))
    ours_port, tipg_port = _free_port(), _free_port()
    python = _tipg_python()
    tipg_env = dict(os.environ, DATABASE_URL=url, TIPG_DB_SCHEMAS='["layers"]',
                    TIPG_MAX_FEATURES_PER_QUERY="10000")
    base = f"http://127.0.0.1:{ours_port}/ogc/collections/parcels"
    peer = f"http://127.0.0.1:{tipg_port}/collections/layers.parcels"
    ours = _serve(server_command("127.0.0.1", ours_port, workers=1, threads=4), env, base)
    try:
        tipg = _serve([str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1",
                       "--port", str(tipg_port), "--log-level", "warning"], tipg_env, peer)
        try:
            found = _rates({"ours_page": (_page_all, base + "/items?limit=10000"),
                            "tipg_page": (_page_all, peer + "/items?limit=10000"),
                            "ours_download": (_download, base + "/download.geojson")})
            ours_rss, tipg_rss = _peak_rss_mb(ours.pid), _peak_rss_mb(tipg.pid)
        finally:
            _stop(tipg)
    finally:
        _stop(ours)
    (ours_page, n_page), (tipg_page, t_page) = found["ours_page"], found["tipg_page"]
    ours_dl, n_dl = found["ours_download"]
    if not n_page == n_dl == t_page:
        raise RuntimeError(f"feature counts differ: ours {n_page}/{n_dl}, tipg {t_page}")
    return [
        f"page all parcels ({n_page} features, limit=10000): mapserver {ours_page:,.0f} "
        f"features/s, tipg {tipg_page:,.0f} features/s, ratio {ours_page / tipg_page:.2f}x",
        f"whole parcels as GeoJSON (our streamed download vs tipg paging): mapserver "
        f"{ours_dl:,.0f} features/s, tipg {tipg_page:,.0f} features/s, "
        f"ratio {ours_dl / tipg_page:.2f}x",
        f"server peak RSS: mapserver {ours_rss:.0f} MB, tipg {tipg_rss:.0f} MB, "
        f"ratio {ours_rss / tipg_rss:.2f}x",
    ]
