"""Load one layer: read every source, check and repair, join, link, COPY, swap in.

The whole load is one database transaction.  Any problem rolls it back, so the
version being served stays exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import shapely
from psycopg2 import sql
from tqdm import tqdm

from mapserver.cadastral import parcel_id
from mapserver.cadastral.assessment import reduce_per_key
from mapserver.cadastral.buildings import ParcelIndex
from mapserver.errors import InvalidData
from mapserver.ingest import placement, store, swap
from mapserver.ingest.attributes import convert, select_fields
from mapserver.ingest.geometry import Reprojector, clean
from mapserver.ingest.reader import open_source
from mapserver.ingest.report import LoadReport
from mapserver.layers import registry

BATCH_SIZE = 20_000


def checksum(manifest) -> str:
    """Return a digest of the manifest and every file it reads: unchanged input, same digest."""
    digest = hashlib.sha256(json.dumps(manifest.raw, sort_keys=True).encode())
    paths = [s.path for s in manifest.sources] + [j["path"] for j in manifest.joins]
    for path in paths:
        siblings = [path] if path.suffix.lower() != ".shp" else sorted(
            path.parent.glob(path.stem + ".*"))
        for file in siblings:
            with open(file, "rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


class _Join:
    """An attribute table reduced to one row per key, ready to look batches up in.

    The table is read and reduced on a worker thread while GDAL parses the main
    file (both release the GIL for most of their work); the first batch waits.
    """

    def __init__(self, spec: dict, manifest, report: LoadReport, executor):
        self.spec = spec
        self.key = spec.get("key", "exact")
        self.types = {name: manifest.field(name).type for name in spec["fields"]}
        self.stats = {"table": spec["path"].name, "rows": 0, "keys": 0, "matched": 0,
                      "unmatched": 0}
        report.joins.append(self.stats)
        self._table = executor.submit(self._reduce)

    def _reduce(self) -> pd.DataFrame:
        spec, path = self.spec, self.spec["path"]
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                                encoding=spec.get("encoding", "utf-8"))
        except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise InvalidData(path.name, f"cannot be read as CSV ({exc})",
                              fix="check the file and its `encoding:`") from None
        missing = [c for c in [spec["column"]] + [f.get("column", n) for n, f in
                   spec["fields"].items() if f["aggregate"] != "count"] if c not in table]
        if missing:
            raise InvalidData(path.name, f"has no column {', '.join(missing)}",
                              fix=f"columns are: {', '.join(table.columns)}")
        reduced = reduce_per_key(table, spec["column"], spec["fields"], key=self.key)
        self.stats.update(rows=len(table), keys=len(reduced))
        return reduced

    def apply(self, frame: pd.DataFrame) -> None:
        table = self._table.result()
        keys = frame[self.spec["field"]]
        keys = parcel_id.normalise_all(keys) if self.key == "parcel-id" else keys
        found = table.reindex(keys.tolist())
        matched = int(keys.isin(table.index).sum())
        self.stats["matched"] += matched
        self.stats["unmatched"] += len(frame) - matched
        for name, field_type in self.types.items():
            values, _ = convert(pd.Series(found[name].to_numpy(), index=frame.index), field_type)
            frame[name] = values


class _Link:
    """Copies a field of the polygon each feature stands in (a building's parcel id)."""

    def __init__(self, spec: dict, conn, manifest_id: str, report: LoadReport):
        self.spec = spec
        target = registry.get(conn, spec["layer"])
        if target is None or not target.loaded:
            raise InvalidData(manifest_id, f"links to layer '{spec['layer']}', which is "
                              "not loaded", fix=f"load it first: mapserver load {spec['layer']}")
        if spec["take"] not in [f["name"] for f in target.manifest["fields"]]:
            raise InvalidData(manifest_id, f"layer '{spec['layer']}' has no field "
                              f"'{spec['take']}'", fix="correct `take:` in the link")
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT {}, ST_AsBinary(geom) FROM layers.{}").format(
                sql.Identifier(spec["take"]), sql.Identifier(target.table_name)))
            rows = cur.fetchall()
        ids = [r[0] for r in rows]
        polygons = shapely.from_wkb([bytes(r[1]) for r in rows])
        self.index = ParcelIndex(ids, polygons)
        self.stats = {"layer": spec["layer"], "linked": 0, "unlinked": 0}
        report.links.append(self.stats)

    def apply(self, frame: pd.DataFrame, geometries: np.ndarray) -> None:
        points = shapely.point_on_surface(geometries)
        reach = self.spec.get("max_distance_m", 0)
        found = [self.index.locate(p, reach) for p in points]
        linked = sum(v is not None for v in found)
        self.stats["linked"] += linked
        self.stats["unlinked"] += len(found) - linked
        frame[self.spec["into"]] = found


def load_layer(conn, manifest, *, published: bool = True, progress: bool = False,
               expected_version: int | None = None, keep_versions: int = 5,
               if_changed: bool = False, city=None) -> LoadReport | None:
    """Load a layer as a new version and swap it in; return its report.

    With `if_changed`, return None without loading when the manifest and its
    files are those of the version already served.  With `city` (a lon/lat
    box), a source lying far from it gets a warning naming the likely cause.
    """
    started = time.perf_counter()
    digest = checksum(manifest)
    if if_changed:
        current = registry.get(conn, manifest.id)
        conn.rollback()
        if current and current.loaded and current.source_checksum == digest:
            return None
    report = LoadReport(layer=manifest.id, checksum=digest)
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest-join")
    try:
        joins = [_Join(spec, manifest, report, executor) for spec in manifest.joins]
        links = [_Link(spec, conn, manifest.id, report) for spec in manifest.links]
        later = {n for j in joins for n in j.types} | {link.spec["into"] for link in links}
        with conn.cursor() as cur:
            staging = store.create_staging(cur, manifest)
            next_fid = 1
            for source in manifest.sources:
                next_fid = _load_source(cur, staging, manifest, source, report, joins, links,
                                        later, next_fid, progress, city)
            if next_fid == 1:
                names = ", ".join(s.path.name for s in manifest.sources)
                raise InvalidData(names, "has no features to load",
                                  fix="check the file (and the layer name, for a multi-layer "
                                  "file); the version served now stays")
            store.swap_in(cur, manifest, staging, report, published=published,
                          expected_version=expected_version)
        report.seconds = round(time.perf_counter() - started, 3)
        with conn.cursor() as cur:
            cur.execute("UPDATE mapserver.layer_versions SET load_report = jsonb_set("
                        "load_report, '{seconds}', to_jsonb(%s::float)) WHERE layer_id = %s"
                        " AND version = %s", (report.seconds, manifest.id, report.version))
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    swap.drop_old_versions(conn, manifest.id, keep_versions)
    return report


def _load_source(cur, staging, manifest, source, report, joins, links, later, next_fid,
                 progress, city) -> int:
    with open_source(source.path, layer=source.layer, crs=source.crs,
                     encoding=source.encoding, batch_size=BATCH_SIZE) as opened:
        reprojector = Reprojector(opened.crs, opened.name)
        read = 0
        bar = tqdm(opened.batches, desc=f"{manifest.id} <- {opened.name}", unit=" batches",
                   disable=not progress, leave=False)
        for batch in bar:
            size = len(batch.geometries)
            geometries = reprojector.to_storage(batch.geometries)
            geometries = clean(geometries, manifest.geometry, read + 1, report, opened.name)
            frame = select_fields(batch.attributes, manifest, source, opened.name, report,
                                  later)
            read += size
            keep = ~shapely.is_missing(geometries)
            frame, geometries = frame[keep].copy(), geometries[keep]
            for join in joins:
                join.apply(frame)
            for link in links:
                link.apply(frame, geometries)
            fids = np.arange(next_fid, next_fid + len(frame))
            store.copy_batch(cur, staging, manifest, fids, frame, geometries, opened.name)
            next_fid += len(frame)
            bar.set_postfix(features=read)
        report.read += read
        bounds, points = reprojector.placed()
        if city is not None and bounds is not None:
            warning = placement.far_from_city(opened.name, bounds, points, opened.crs, city)
            if warning:
                report.warn(warning)
        report.sources.append({
            "name": opened.name, "driver": opened.driver, "layer": opened.layer,
            "features": read, "crs": opened.crs.to_string(), "crs_origin": opened.crs_origin,
            "encoding": opened.encoding,
        })
    return next_fid
