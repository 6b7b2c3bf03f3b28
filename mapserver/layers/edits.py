"""What planners do to a loaded layer: publish, unpublish, roll back, describe, edit a feature.

Every change of content or description makes a new version (a copy of the
served table with the change), so it is cached under its own key, audited and
undone by the same rollback as an upload.
"""

from __future__ import annotations

import copy
import datetime as dt

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from mapserver import audit
from mapserver.errors import InvalidParameter, NotFound
from mapserver.ingest import swap
from mapserver.layers import registry
from mapserver.layers.manifest import validate

# Manifest keys a planner may change after loading; fields may change only these keys.
DESCRIBABLE = {"title", "description", "category", "keywords", "licence", "attribution",
               "style", "minzoom", "maxzoom", "default_on", "valid_from", "valid_to"}
FIELD_KEYS = {"title", "description", "visibility", "searchable"}
MERGED = {"title", "description", "style", "licence"}  # dicts a change updates key by key


def _layer(conn, layer_id: str) -> registry.LayerRecord:
    record = registry.get(conn, layer_id)
    if record is None or not record.loaded:
        raise NotFound(f"no layer '{layer_id}'", fix="upload a file to create it")
    return record


def set_published(conn, layer_id: str, published: bool, actor: str) -> None:
    """Show or hide a layer everywhere at once (map, APIs, tiles, catalogue)."""
    _layer(conn, layer_id)
    with conn.cursor() as cur, swap.registry_row_locked(cur, layer_id):
        cur.execute("UPDATE mapserver.layers SET published = %s WHERE id = %s",
                    (published, layer_id))
    audit.record(conn, actor, "publish" if published else "unpublish", layer_id)
    conn.commit()


def rollback(conn, layer_id: str, version: int, actor: str) -> None:
    """Serve an earlier (or later) kept version again."""
    current = _layer(conn, layer_id)
    with conn.cursor() as cur:
        cur.execute("SELECT table_dropped FROM mapserver.layer_versions WHERE layer_id = %s"
                    " AND version = %s", (layer_id, int(version)))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"layer '{layer_id}' has no version {version}",
                           fix="pick one from the layer's list of versions")
        if row[0]:
            raise InvalidParameter(f"version {version} of '{layer_id}' is no longer kept",
                                   fix="roll back to one of the kept versions")
        with swap.registry_row_locked(cur, layer_id):
            cur.execute("SELECT 1 FROM mapserver.layers WHERE id = %s FOR UPDATE", (layer_id,))
        swap.point_registry_at(cur, layer_id, int(version))
    audit.record(conn, actor, "rollback", layer_id, from_version=current.version,
                 to_version=int(version))
    conn.commit()


def describe(conn, layer_id: str, changes: dict, actor: str,
             expected_version: int | None = None) -> int:
    """Change a layer's description (titles, licence, field visibility...) as a new version."""
    current = _layer(conn, layer_id)
    unknown = set(changes) - DESCRIBABLE - {"fields"}
    if unknown:
        raise InvalidParameter(f"cannot change {', '.join(sorted(unknown))} here",
                               fix=f"change only: {', '.join(sorted(DESCRIBABLE | {'fields'}))}")
    manifest = copy.deepcopy(current.manifest)
    for key, value in changes.items():
        if key in MERGED and isinstance(value, dict):
            manifest[key] = {**manifest.get(key, {}), **value}  # a form may send a part
        elif key != "fields":
            manifest[key] = value
    by_name = {f["name"]: f for f in manifest["fields"]}
    for name, field_changes in (changes.get("fields") or {}).items():
        if name not in by_name:
            raise InvalidParameter(f"the layer has no field '{name}'",
                                   fix=f"fields are: {', '.join(by_name)}")
        bad = set(field_changes) - FIELD_KEYS
        if bad:
            raise InvalidParameter(f"cannot change {', '.join(sorted(bad))} of a field",
                                   fix=f"change only: {', '.join(sorted(FIELD_KEYS))}")
        for key, value in field_changes.items():
            if key in ("title", "description") and isinstance(value, dict):
                value = {**(by_name[name].get(key) or {}), **value}  # other languages stay
            by_name[name][key] = value
    problems = validate(manifest, layer_id)
    if problems:
        raise InvalidParameter("; ".join(problems), fix="correct the values named")
    return _derive(conn, current, manifest, actor, "describe", expected_version,
                   details={"changes": changes})


def edit_feature(conn, layer_id: str, fid: int, properties: dict, actor: str,
                 expected_version: int | None = None) -> int:
    """Change attributes of one feature (e.g. a building's opening hours) as a new version."""
    current = _layer(conn, layer_id)
    names = {f["name"]: f for f in current.manifest["fields"]}
    unknown = [name for name in properties if name not in names]
    if unknown or not properties:
        raise InvalidParameter(f"unknown field(s): {', '.join(unknown) or 'none given'}",
                               fix=f"fields are: {', '.join(names)}")
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = %s").format(sql.Identifier(name)) for name in properties)

    def change(cur, table: str) -> None:
        try:
            cur.execute(sql.SQL("UPDATE layers.{} SET {} WHERE fid = %s").format(
                sql.Identifier(table), assignments), [*properties.values(), int(fid)])
        except psycopg2.DataError:
            raise InvalidParameter("a value does not fit its field's type",
                                   fix="check the values against the field types") from None
        if cur.rowcount == 0:
            raise NotFound(f"layer '{layer_id}' has no feature {fid}", fix="check the id")

    return _derive(conn, current, current.manifest, actor, "edit-feature", expected_version,
                   change=change, details={"fid": int(fid), "fields": sorted(properties)})


def _derive(conn, current, manifest: dict, actor: str, action: str,
            expected_version: int | None, *, change=None, details: dict) -> int:
    """Copy the served table as a new version, apply `change` to it, and serve it."""
    try:
        with conn.cursor() as cur:
            version = swap.lock_layer(cur, current.id, manifest, published=current.published,
                                       expected_version=expected_version)
            table = f"{current.id}__v{version}"
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in
                                         ["fid", *(f["name"] for f in manifest["fields"]),
                                          "geom"])
            source, target = sql.Identifier(current.table_name), sql.Identifier(table)
            cur.execute(sql.SQL("CREATE TABLE layers.{} (LIKE layers.{} INCLUDING ALL)")
                        .format(target, source))
            cur.execute(sql.SQL("INSERT INTO layers.{} ({}) SELECT {} FROM layers.{}")
                        .format(target, columns, columns, source))
            if change:
                change(cur, table)
            cur.execute(sql.SQL("ANALYZE layers.{}").format(target))
            report = {"layer": current.id, "derived_from": current.version, "action": action,
                      "by": actor, "at": dt.datetime.now(dt.UTC).isoformat(), **details}
            swap.make_current(cur, current.id, version, table, manifest,
                               current.feature_count, current.bbox, current.source_checksum,
                               report)
        audit.record(conn, actor, action, current.id, version=version, **details)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return version
