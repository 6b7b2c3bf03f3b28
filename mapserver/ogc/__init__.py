"""OGC API - Features (Part 1, Part 2 CRSs, Part 3 filtering), downloads and the DCAT catalogue.

`blueprint` serves /ogc; `catalog.blueprint` serves /catalog.  Views gather
parameters (params.py), read through query.py, and answer via respond.py.
"""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("ogc", __name__, url_prefix="/ogc", template_folder="templates")



@blueprint.before_request
def _refuse_nul():
    # Regression: /ogc/collections/%00 and ?ml=%00 used to be 500s (PostgreSQL rejects NUL).
    from flask import request

    from .params import check_no_nul

    check_no_nul(request.path, request.args)


# The view modules attach their routes to `blueprint` when imported (no other work).
from . import collections, downloads, items, landing  # noqa: E402,F401
