"""Turn an uploaded file into a new version of a layer, through the one ingest path.

The file is saved under var/uploads with a safe name, loaded in a contained
child process (`mapserver.ingest.contained`), and removed. A failed upload
publishes nothing: the ingest transaction rolls back and the version being
served stays. Every outcome is audited, refusals with their status.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import time
from pathlib import Path

from psycopg2 import sql
from psycopg2.extras import RealDictCursor
from werkzeug.utils import secure_filename

from mapserver import audit
from mapserver.errors import InvalidData, InvalidParameter, MapServerError
from mapserver.ingest import contained
from mapserver.ingest.formats import DRIVERS
from mapserver.layers import registry
from mapserver.layers.manifest import Manifest, find, validate
from mapserver.params import parse_layer_id

ACCEPTED = sorted(set(DRIVERS) - {".shp"} | {".zip"})
SAMPLE_ROWS = 3
MAX_STEM, MAX_SUFFIX = 100, 12  # characters kept of an uploaded file's name and ending


def _manifest_for(conn, settings, layer_id, path, crs, encoding, source_layer, geometry):
    """Return (manifest, published) for loading `path` as `layer_id`."""
    from mapserver.ingest.describe import describe_file  # the ingest stack loads on first upload
    record = registry.get(conn, layer_id)
    if record is not None and record.loaded:
        base = Manifest(raw=record.manifest, folder=settings.layers_dir)
        return base.with_source(path, crs=crs, encoding=encoding, layer=source_layer), None
    if (settings.layers_dir / f"{layer_id}.yaml").exists():
        base = find(settings.layers_dir, layer_id)
        return base.with_source(path, crs=crs, encoding=encoding, layer=source_layer), True
    raw = describe_file(path, layer_id, crs=crs, encoding=encoding, layer=source_layer,
                        geometry=geometry)
    problems = validate(raw, layer_id)
    if problems:
        raise InvalidParameter("; ".join(problems), fix="use a layer id of lower-case letters, "
                               "digits and hyphens, starting with a letter")
    return Manifest(raw=raw, folder=settings.layers_dir), False


def _samples(conn, layer_id: str) -> list[dict]:
    record = registry.get(conn, layer_id)
    names = [f["name"] for f in record.manifest["fields"]]
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute(sql.SQL("SELECT {} FROM layers.{} ORDER BY fid LIMIT %s").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.Identifier(record.table_name)), (SAMPLE_ROWS,))
        return [dict(row) for row in cur.fetchall()]


def sweep_stale(settings, older_than_s: float = 2 * contained.WALL_SECONDS) -> int:
    """Remove upload folders no load can still be using (left by a killed worker); count them."""
    folder = settings.var_dir / "uploads"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - older_than_s
    stale = [entry for entry in folder.iterdir() if entry.stat().st_mtime < cutoff]
    for entry in stale:
        shutil.rmtree(entry, ignore_errors=True)
    return len(stale)


def _sha256(path: Path) -> str:
    """Return the file's SHA-256, so the audit log names exactly what was uploaded."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_filename(raw: str | None) -> str:
    """Return the upload's name as a safe file name short enough for any file system."""
    name = Path(secure_filename(raw or ""))
    return name.stem[:MAX_STEM] + name.suffix[:MAX_SUFFIX] if name.name else ""


def ingest_upload(conn, settings, upload, layer_id: str, actor: str, *, crs=None, encoding=None,
                  source_layer=None, geometry=None, expected_version=None) -> dict:
    """Load one uploaded file in a contained child; return the load report with samples."""
    parse_layer_id(layer_id)
    filename = _safe_filename(upload.filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in ACCEPTED:
        raise InvalidData(filename or "the upload",
                          f"is not a supported file ({suffix or 'no ending'})",
                          fix=f"upload one of: {', '.join(ACCEPTED)} (a shapefile as a .zip "
                          "with its .shp, .shx, .dbf, .prj and .cpg)")
    folder = settings.var_dir / "uploads" / secrets.token_hex(8)
    folder.mkdir(parents=True)
    path = folder / filename
    digest = None
    try:
        upload.save(path)
        digest = _sha256(path)
        result = contained.run(load_file, settings, path, layer_id, crs, encoding,
                               source_layer, geometry, expected_version, name=filename)
    except MapServerError as exc:
        conn.rollback()
        audit.record(conn, actor, "upload-refused", layer_id, file=filename, sha256=digest,
                     status=exc.status, problem=getattr(exc, "problem", exc.message))
        conn.commit()
        raise
    except Exception:
        conn.rollback()
        audit.record(conn, actor, "upload-failed", layer_id, file=filename, sha256=digest,
                     status=500)
        conn.commit()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    audit.record(conn, actor, "upload", layer_id, file=filename, sha256=digest,
                 version=result["version"], loaded=result["loaded"], status=201)
    conn.commit()
    result["samples"] = _samples(conn, layer_id)
    return result


def load_file(settings, path: Path, layer_id: str, crs, encoding, source_layer, geometry,
              expected_version) -> dict:
    """Load a saved upload as `layer_id` on a connection of its own; return the report.

    Runs in the contained child (see `mapserver.ingest.contained`).
    """
    from mapserver import db_roles
    from mapserver.db import connect
    from mapserver.ingest.pipeline import load_layer

    conn = connect(db_roles.urls(settings).app)  # the admin's role, like the web worker's
    try:
        manifest, published = _manifest_for(conn, settings, layer_id, path, crs, encoding,
                                            source_layer, geometry)
        existing = registry.get(conn, layer_id)
        city = registry.city_extent(conn, settings.city_bbox)
        conn.rollback()
        report = load_layer(conn, manifest,
                            published=existing.published if published is None else published,
                            expected_version=expected_version,
                            keep_versions=settings.keep_versions, city=city)
        return report.to_dict()
    finally:
        conn.close()
