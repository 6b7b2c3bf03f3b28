"""URL converters: `<int:...>` in a route reads its segment with the project's integer rule.

Werkzeug's own `int` converter matches `\\d+`, which takes any Unicode decimal
digit ('٣' routes as 3) and any length; ours matches ASCII digits and reads
them with `params.parse_int`, so a path number obeys the same rule as a query
or form number.  A segment that is not one matches no route: 404.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

from mapserver.errors import InvalidParameter
from mapserver.params import parse_int


class AsciiIntegerConverter(IntegerConverter):
    """A non-negative whole number in ASCII digits that fits a PostgreSQL bigint."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        try:
            return parse_int(value, "path segment")
        except InvalidParameter:
            raise ValidationError() from None


def init_app(app) -> None:
    """Replace the `int` converter; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = AsciiIntegerConverter
