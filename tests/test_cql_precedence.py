"""AND binds tighter than OR in CQL2 filters, as the standard (and SQL) say."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from mapserver.ogc.cql import parse
from mapserver.ogc.cql_precedence import bracket_and_before_or


@pytest.mark.parametrize("text, grouped", [
    ("aa = 1 OR bb = 2 AND cc = 3", "Or(Equal(aa, 1), And(Equal(bb, 2), Equal(cc, 3)))"),
    ("aa = 1 AND bb = 2 OR cc = 3", "Or(And(Equal(aa, 1), Equal(bb, 2)), Equal(cc, 3))"),
    ("aa = 1 AND (bb = 2 OR cc = 3)", "And(Equal(aa, 1), Or(Equal(bb, 2), Equal(cc, 3)))"),
    ("yy BETWEEN 1 AND 5 OR zz = 2 AND aa = 3",
     "Or(Between(yy, 1, 5), And(Equal(zz, 2), Equal(aa, 3)))"),
])
def test_and_groups_before_or(text, grouped):
    assert _shape(parse(text)) == grouped


def test_quoted_words_and_plain_filters_are_left_alone():
    text = "name = 'A OR B AND C' OR \"x AND y\" = 'z'"
    assert bracket_and_before_or(text) == text
    assert bracket_and_before_or("aa = 1 OR bb = 2") == "aa = 1 OR bb = 2"


def test_a_mixed_filter_returns_the_rows_sql_returns(small_client, small_conn):
    # On the small city: read left to right, the filter would keep only the condominium.
    text = "ml = '127-123' OR units > 60 AND land_use LIKE 'CONDO%'"
    with small_conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM layers.parcels WHERE ml = '127-123'"
                    " OR units > 60 AND land_use LIKE 'CONDO%'")
        expected = cur.fetchone()[0]
    page = small_client.get("/ogc/collections/parcels/items?limit=10&filter=" + quote(text),
                            headers={"Accept": "application/geo+json"}).json
    assert page["numberMatched"] == expected == 2   # 127-123, and the one big condominium
    assert {f["properties"]["ml"] for f in page["features"]} == {"127-123", "119-9"}


def _shape(node) -> str:
    """Return a pygeofilter tree as a short string: Or(Equal(aa, 1), ...)."""
    from pygeofilter import ast

    name = type(node).__name__
    if isinstance(node, ast.Attribute):
        return node.name
    if isinstance(node, ast.Between):
        return f"Between({_shape(node.lhs)}, {node.low}, {node.high})"
    if hasattr(node, "lhs"):
        return f"{name}({_shape(node.lhs)}, {_shape(node.rhs)})"
    return str(node)
