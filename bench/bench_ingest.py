"""`mapserver load parcels` against ogr2ogr loading the same file into the same database."""

from __future__ import annotations

import os
from urllib.parse import urlparse

from common import MAPSERVER, ROOT, database_url, ratio_line, timed

PARCELS = ROOT / "data" / "cambridge" / "parcels-fy2014.topojson"


def _pg_dsn(url: str) -> str:
    u = urlparse(url)
    return (f"PG:host={u.hostname} port={u.port or 5432} dbname={u.path.lstrip('/')} "
            f"user={u.username} password={u.password}")


def run() -> list[str]:
    """Time both loads (median of 3, process start included) and return the result lines."""
    url = database_url()
    env = dict(os.environ, MAPSERVER_HOME=str(ROOT))
    ours = timed([*MAPSERVER, "load", "parcels", "--quiet"], env=env)
    # ogr2ogr does no validation, repair, join or version swap: the floor to aim at.
    peer = timed(["ogr2ogr", "-f", "PostgreSQL", _pg_dsn(url), str(PARCELS),
                  "-nln", "bench_ogr2ogr_parcels", "-overwrite", "-lco", "GEOMETRY_NAME=geom",
                  "-a_srs", "EPSG:4326", "-nlt", "PROMOTE_TO_MULTI"], env=env)
    return [ratio_line("load parcels (13,116 features, with checks, repair, assessment join)",
                       ours, peer, "ogr2ogr")]
