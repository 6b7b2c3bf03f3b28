"""OGC API - Features (Part 1, Part 3 filtering), downloads and the DCAT catalogue.

`blueprint` serves /ogc; `catalog.blueprint` serves /catalog.  Views gather
parameters (params.py), read through query.py, and answer via respond.py.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")

# The view modules attach their routes to `blueprint` when imported (no other work).
from . import collections, downloads, items, landing  # noqa: E402,F401
