"""What every request's raw input must satisfy before any view reads it.

* No NUL character in the path or the query: PostgreSQL text cannot hold one
  (it was a 500 wherever a value reached SQL), and no name or value needs one.
* JSON bodies are parsed with a bound on nesting: Python's parser raises
  RecursionError past ~1,000 levels, which is not a ValueError, so Werkzeug
  did not turn it into a 400.
"""

from __future__ import annotations

from flask import request
from flask.json.provider import DefaultJSONProvider

from mapserver.errors import InvalidParameter, NotFound
from mapserver.web import i18n


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a body nested past the parser's limit is a client's mistake."""

    sort_keys = False  # keep the order a document is built in (OGC, TileJSON)

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("the JSON body is nested too deeply") from None


def init_app(app) -> None:
    """Refuse NUL characters in every request's path and query, before any view."""

    @app.before_request
    def refuse_nul():
        fix = "nul_in_request_fix"
        if "\x00" in request.path:  # no resource has such a name
            raise NotFound(i18n.translate("nul_in_request"), fix=i18n.translate(fix))
        if any("\x00" in text for pair in request.args.items(multi=True) for text in pair):
            raise InvalidParameter(i18n.translate("nul_in_request"), fix=i18n.translate(fix))
