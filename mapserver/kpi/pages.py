"""The KPI dashboard: /kpi for people, /kpi.json and /kpi.csv for tools; usage beacons."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, jsonify, render_template, request

from mapserver.errors import InvalidParameter
from mapserver.kpi import period as periods
from mapserver.kpi import report, usage
from mapserver.params import EVERYWHERE
from mapserver.web import public_database

blueprint = Blueprint("kpi", __name__)
ALLOWED = {"from", "to", "names", *EVERYWHERE}
# Paths whose successful GETs are counted as map use, by kind.
COUNTED_PATHS = {"/": "page_view", "/api/search": "search"}


def _request_kpis() -> tuple[list[dict], periods.Period]:
    unknown = set(request.args) - ALLOWED
    if unknown:
        raise InvalidParameter(f"unknown parameter {', '.join(sorted(unknown))}",
                               fix="use from=YYYY-MM, to=YYYY-MM and names=a,b")
    period = periods.parse(request.args.get("from"), request.args.get("to"))
    names = report.choose(request.args.get("names"))
    with public_database().connection() as conn:
        if not report.snapshot_taken_today(conn):
            report.snapshot(conn, period)
        return report.compute(conn, names, period), period


@blueprint.get("/kpi.json")
def kpi_json():
    """Return the KPIs with definitions, units, values and breakdowns."""
    results, period = _request_kpis()
    body = json.loads(json.dumps({"period": period.label, "kpis": results}, default=str))
    return jsonify(body)


@blueprint.get("/kpi.csv")
def kpi_csv():
    """Return one row per KPI: name, title, value, unit, period."""
    results, period = _request_kpis()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "title", "value", "unit", "period", "definition"])
    for r in results:
        writer.writerow([r["name"], r["title"], "" if r["value"] is None else r["value"],
                         r["unit"], period.label, r["definition"]])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kpi.csv"})


@blueprint.get("/kpi")
def kpi_page():
    """Show the KPIs as tables (and charts where the browser runs scripts)."""
    results, period = _request_kpis()
    chart_data = json.loads(json.dumps({r["name"]: r["detail"] for r in results}, default=str))
    return render_template("kpi.html", kpis=results, period=period, chart_data=chart_data)


@blueprint.post("/api/usage")
def usage_beacon():
    """Count a module toggle sent by the map (no identifier is kept)."""
    body = request.get_json(silent=True) or {}
    kind, detail = body.get("kind"), str(body.get("detail", ""))
    if kind != "module_toggle" or not detail:
        raise InvalidParameter("only module toggles are counted here",
                               fix='send {"kind": "module_toggle", "detail": "<layer id>"}')
    with public_database().connection() as conn:
        usage.count(conn, kind, detail)
    return "", 204


def count_map_use(response):
    """Count a successful map page view or search after the response is made."""
    kind = COUNTED_PATHS.get(request.path)
    if kind and request.method == "GET" and response.status_code == 200:
        with public_database().connection() as conn:
            usage.count(conn, kind)
    return response
