"""Public-building pages a screen reader reads well, each with a QR code to stick at the door."""

from __future__ import annotations

import segno
from flask import Blueprint, render_template, url_for
from psycopg2 import sql

from mapserver.errors import NotFound
from mapserver.layers import registry
from mapserver.layers.manifest import Field
from mapserver.site import features
from mapserver.web import i18n, public_database
from mapserver.web.lanes import costly
from mapserver.web.links import absolute, site_root

blueprint = Blueprint("buildings", __name__, template_folder="../templates")

LAYER = "public-buildings"
ACCESS_FIELDS = ("step_free_entrance", "accessible_toilet", "accessible_parking",
                 "opening_hours", "contact")
ABOUT_FIELDS = ("kind", "detail", "address", "phone")


def qr_svg(url: str, label: str) -> str:
    """Return an inline SVG QR code of `url` (segno writes markup, it is not user text)."""
    return segno.make(url, error="m").svg_inline(scale=4, border=2, title=label)


def _labels(record) -> dict[str, Field]:
    return {f.name: f for f in record.spec.public_fields}


@blueprint.errorhandler(NotFound)
def not_found(exc: NotFound):
    """Answer an unknown building with a page in the reader's language, status 404."""
    return render_template("error.html", title=i18n.translate("building_not_found_title"),
                           message=i18n.translate("building_not_found")), 404


@blueprint.get("/buildings/<fid>")
def building(fid: str):
    """Return the page of one public building."""
    number = features.parse_fid(fid)
    with public_database().connection() as conn:
        record = registry.public_layer(conn, LAYER)
        feature = features.one_feature(conn, record, number)
    url = absolute(url_for("buildings.building", fid=number))
    props = feature["properties"]
    lon, lat = feature["geometry"]["coordinates"][:2]
    return render_template(
        "building.html", props=props, fields=_labels(record), about=ABOUT_FIELDS,
        access=ACCESS_FIELDS, fid=number, url=url, lat=lat, lon=lon,
        qr=qr_svg(url, i18n.translate("qr_label", name=props.get("name") or "")))


@blueprint.get("/buildings/qr-sheet")
@costly   # ~0.3 s of CPU: a QR code for every building
def qr_sheet():
    """Return a printable sheet of every public building's QR code."""
    with public_database().connection() as conn:
        record = registry.public_layer(conn, LAYER)
        query = sql.SQL("SELECT fid, name, address FROM layers.{} ORDER BY name, fid").format(
            sql.Identifier(record.table_name))
        with conn.cursor() as cur:
            cur.execute(query)
            rows = cur.fetchall()
    root = site_root()
    cards = []
    for fid, name, address in rows:
        url = f"{root}{url_for('buildings.building', fid=fid)}"
        cards.append({"fid": fid, "name": name, "address": address, "url": url,
                      "qr": qr_svg(url, i18n.translate("qr_label", name=name or ""))})
    return render_template("qr_sheet.html", cards=cards)
