"""Every route of the app, walked from its URL map, gets hostile values where a person's
input goes: path segments, query parameters and bodies.  Never a 5xx, never a trace, SQL
text or local path in the answer, and a JSON error always has the one shape.

New routes are covered without editing this file; the count of cases sent is printed
(`pytest -s`) for the closing notes of the hardening issue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg2
import pytest

from mapserver.auth import sessions, users

LONG = "x" * 10_000
# Percent-encoded where the raw text cannot be sent: a lone surrogate (as CESU bytes), an
# overlong '.', a NUL.  Everything else goes as it is.
HOSTILE = ["²", "①", "٣", "３", "%ED%A0%80", "%C0%AE", "%00", LONG, "-1", "0",
           "99999999999999999999999999", "1e309", "NaN", "'; DROP TABLE layers.x;--",
           "../../etc/passwd", "<script>alert(1)</script>", "parcels," * 40, " ", "%20%0A"]
QUERY_HOSTILE = ["²", "%ED%A0%80", LONG, "-1", "1e309", "[[[[", "%00"]
PARAMS = ["bbox", "limit", "offset", "datetime", "filter", "filter-lang", "filter-crs", "crs",
          "bbox-crs", "sortby", "properties", "q", "f", "lang", "from", "to", "names", "v",
          "ml", "zoom", "next"]
# What clients send to the OGC items in particular: filters and times, at the limits.
ITEMS_SPECIAL = {
    "filter": ["(" * 500 + "ml = '1'" + ")" * 500, "ml = " + "1 + " * 3000 + "1",
               "ml = " + "1+" * 3990 + "1", "NOT " * 1990 + "ml='a'",
               "ml = '" + "-" * 7000 + "'",
               " AND ".join(["ml = 'a'"] * 2000), "ml LIKE '" + "%" * 5000 + "'",
               "S_INTERSECTS(geom, POLYGON((" + "0 0," * 5000 + "0 0)))",
               "ml = '²'", "ml IN (" + ",".join(["'a'"] * 5000) + ")"],
    "datetime": ["10000-01-01T00:00:00Z", "0000-00-00", "2020-13-45", "9999-12-31T23:59:60Z",
                 "../..", "2020-01-01/1999-01-01", "-infinity", "2020-01-01T25:00:00+99:99"],
    "bbox": ["1,2,3", "1,2,3,4,5,6,7", "-181,-91,181,91", "nan,nan,nan,nan", "1,1,1,1",
             "inf,-inf,inf,-inf", ",,,"],
    "limit": ["0", "10000000000000000000000", "²"],
    "sortby": ["+" * 5000, "-editor", "geom"],
    "crs": ["http://www.opengis.net/def/crs/EPSG/0/99999999", "EPSG:4326'--"],
}
SAMPLES = {"layer_id": "parcels", "collection": "parcels", "collection_id": "parcels",
           "layer": "parcels", "layers": "parcels", "fid": "1", "feature_id": "1",
           "z": "14", "x": "4953", "y": "6057", "matrix_set": "WebMercatorQuad",
           "tile_matrix": "14", "tile_row": "6057", "tile_col": "4953", "fmt": "geojson",
           "lang": "en", "path": "js/main.js", "request_id": "1"}
ADMIN_SAMPLES = {"layer_id": "t-hostile-walk", "fid": "1", "request_id": "999999"}
DEEP_JSON = "[" * 100_000 + "]" * 100_000
ROOT = str(Path(__file__).resolve().parent.parent)
LEAKS = re.compile(r"Traceback|psycopg2|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|site-packages|"
                   r"File \"|" + re.escape(ROOT))
# Routes whose parameters are read one by one (each also sent alone, so that a refusal of
# one cannot hide a failure of another); every other route gets them all at once.
ONE_BY_ONE = ("/items", ".geojson", "/api/search", "/kpi.json", ".mvt")


@pytest.fixture(scope="module")
def admin_token(database_url, demo_city):
    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 't-walker'")
        user = users.create(conn, "t-walker", "a long enough password", "admin")
        return sessions.issue_token(conn, user, "walk")


def _url(rule, values: dict) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(r"<(?:[a-z]+:)?" + name + r">", values[name], url)
    return url


def _requests(rule):
    """Yield (method, url, kwargs) of every hostile case for one rule."""
    samples = ADMIN_SAMPLES if rule.rule.startswith("/admin") else {}
    sane = {name: samples.get(name, SAMPLES.get(name, "parcels")) for name in rule.arguments}
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    for method in methods:
        for name in rule.arguments:
            for value in HOSTILE:
                yield method, _url(rule, {**sane, name: value}), {}
        base = _url(rule, sane)
        if method == "GET":
            for value in QUERY_HOSTILE:
                yield method, base + "?" + "&".join(f"{p}={value}" for p in PARAMS), {}
                if rule.rule.endswith(ONE_BY_ONE):
                    for param in PARAMS:
                        yield method, f"{base}?{param}={value}", {}
            if rule.rule.endswith("/items"):
                for param, values in ITEMS_SPECIAL.items():
                    for value in values:
                        yield method, base, {"query_string": {param: value}}
        else:
            yield method, base, {"data": DEEP_JSON, "content_type": "application/json"}
            yield method, base, {"data": '{"score": "²", "what": "' + LONG + '"}',
                                 "content_type": "application/json"}
            yield method, base, {"data": dict(zip(
                ["score", "what", "why", "contact", "username", "password", "role", "name",
                 "status", "version", "expected_version", "layer_id", "module"],
                HOSTILE, strict=False))}


def _problem(response, method, url) -> str | None:
    """Return what is wrong with one answer, or None."""
    where = f"{method} {url[:100]}"
    if response.status_code >= 500:
        return f"{where}: {response.status_code} {response.data[:200]!r}"
    text = response.data.decode("utf-8", "replace")  # tiles and zips are bytes
    leak = LEAKS.search(text)
    if leak:
        return f"{where}: the answer shows {leak.group(0)!r}"
    if response.status_code >= 400 and response.mimetype == "application/json":
        body = response.get_json(silent=True)
        if not isinstance(body, dict) or set(body) != {"code", "description"}:
            return f"{where}: error body {str(body)[:100]}"
    return None


def test_every_rule_survives_hostile_input(app, admin_token, capsys):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {admin_token}"}
    sent, failures, problems = 0, 0, []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method, url, kwargs in _requests(rule):
            response = client.open(url, method=method, headers=headers, **kwargs)
            sent += 1
            failures += response.status_code >= 500
            problem = _problem(response, method, url)
            if problem:
                problems.append(problem)
    with capsys.disabled():
        print(f"\nhostile walk: {sent} requests over {len(list(app.url_map.iter_rules()))} "
              f"rules, {failures} answered 5xx")
    assert sent > 1500
    assert not problems, f"{len(problems)} problems, the first: " + "\n".join(problems[:25])


def test_a_deep_json_body_is_a_400(client):
    response = client.post("/api/feedback/score", data=DEEP_JSON,
                           content_type="application/json")
    assert response.status_code == 400
    assert json.loads(response.data)["code"]
