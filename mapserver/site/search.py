"""Search the map: parcel ids, street addresses and building names, ranked by trigram similarity.

It reads the layers' current version tables (so a new load is searchable at
once) through their public text fields only.  Matching is a case-insensitive
substring (LIKE wildcards escaped) or pg_trgm similarity for misspellings
(migration 003 creates the extension); the best match comes first.
"""

from __future__ import annotations

import unicodedata

from psycopg2 import sql

from mapserver.errors import InvalidParameter
from mapserver.layers.registry import LayerRecord

MAX_QUERY = 100
MIN_QUERY = 2
MAX_RESULTS = 10


def clean_query(text: str | None) -> str:
    """Return the query trimmed and NFC-normalised, or raise InvalidParameter saying why not."""
    text = unicodedata.normalize("NFC", (text or "")).strip()
    if len(text) < MIN_QUERY:
        raise InvalidParameter("search_too_short")
    if len(text) > MAX_QUERY:
        raise InvalidParameter("search_too_long")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text):
        raise InvalidParameter("search_bad_characters")
    return text


def searched_fields(record: LayerRecord) -> list[str]:
    """Return the layer's searchable fields (public ones only), its id field first.

    Manifests flag what a person types into a search box (parcel ids, addresses,
    names, street labels); codes such as pole ids are left out: they cost a scan
    and nobody types them.
    """
    chosen = [f.name for f in record.spec.searchable_fields]
    chosen.sort(key=lambda n: n != record.spec.id_field)
    return chosen


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _layer_query(record: LayerRecord, fields: list[str]) -> sql.Composed:
    idents = [sql.Identifier(f) for f in fields]
    matches = sql.SQL(" OR ").join(
        sql.SQL("{f} ILIKE %(like)s OR {f} %% %(q)s").format(f=f) for f in idents)
    score = sql.SQL("GREATEST({})").format(sql.SQL(", ").join(
        sql.SQL("CASE WHEN lower({f}) = lower(%(q)s) THEN 3 WHEN {f} ILIKE %(prefix)s THEN 2"
                " WHEN {f} ILIKE %(like)s THEN 1 ELSE 0 END + similarity({f}, %(q)s)"
                ).format(f=f) for f in idents))
    second = idents[1] if len(idents) > 1 else sql.SQL("NULL")
    return sql.SQL(
        "SELECT fid, {first}, {second}, {score} AS score, ST_XMin(geom), ST_YMin(geom),"
        " ST_XMax(geom), ST_YMax(geom) FROM layers.{table} WHERE {matches}"
        " ORDER BY score DESC, fid LIMIT %(limit)s").format(
            first=idents[0], second=second, score=score, matches=matches,
            table=sql.Identifier(record.table_name))


def search(conn, records: list[LayerRecord], text: str, *, limit: int = MAX_RESULTS) -> list[dict]:
    """Return up to `limit` matches over the given public layers, best first."""
    params = {"q": text, "like": f"%{_escape_like(text)}%", "prefix": f"{_escape_like(text)}%",
              "limit": limit}
    found = []
    with conn.cursor() as cur:
        for record in records:
            fields = searched_fields(record)
            if not fields:
                continue
            cur.execute(_layer_query(record, fields), params)
            for fid, first, second, score, *bbox in cur.fetchall():
                # A feature may match on its second field while its first is empty.
                label, detail = (first, second) if first else (second, None)
                found.append({"layer": record.id, "fid": fid, "label": label,
                              "detail": detail, "score": round(float(score), 3),
                              "bbox": bbox})
    found.sort(key=lambda r: (-r["score"], r["layer"], r["fid"]))
    return found[:limit]
