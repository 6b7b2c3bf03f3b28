"""CQL2 text filters (OGC API - Features Part 3, basic-cql2 plus spatial) as bound SQL.

pygeofilter parses the text; this module walks its syntax tree and builds a
psycopg2 ``sql.Composed`` in which every literal is a bound parameter and every
column an ``sql.Identifier`` checked against the layer's *public* fields.  A
staff-only field is simply not in that list, so naming it gets exactly the
error an unknown name gets.  Each expression carries a kind (text, number,
boolean, date, datetime, geometry) so a type mismatch is a 400 here instead
of a database error later.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from psycopg2 import sql

from mapserver.errors import InvalidParameter

MAX_FILTER_LENGTH = 8000
MAX_OPERATORS = 300  # logical and arithmetic: each is a level the translation recurses into
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_OPERATORS = re.compile(r"[-+*/]|\b(?:AND|OR|NOT)\b", re.IGNORECASE)
GEOMETRY_NAMES = ("geometry", "geom")
KINDS = {"text": "text", "integer": "number", "float": "number", "boolean": "boolean",
         "date": "date", "datetime": "datetime"}
FIX = "write a CQL2 text filter such as address LIKE 'MASS%' AND year_built > 1900"


def _bad(message: str) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}", fix=FIX)


def parse(text: str):
    """Parse CQL2 text into pygeofilter's tree, turning every parser failure into a 400."""
    from pygeofilter.parsers.cql2_text import parse as cql2_parse

    from mapserver.ogc.cql_precedence import bracket_and_before_or

    if len(text) > MAX_FILTER_LENGTH:
        raise _bad(f"it is longer than {MAX_FILTER_LENGTH} characters")
    if len(_OPERATORS.findall(_QUOTED.sub("''", text))) > MAX_OPERATORS:
        raise _bad(f"it has more than {MAX_OPERATORS} operators")
    try:
        return cql2_parse(bracket_and_before_or(text))
    except Exception as exc:  # lark and pygeofilter raise many kinds; all are the client's text
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise _bad(f"it cannot be parsed ({first})") from None


class Translator:
    """Turn one pygeofilter tree into SQL over one layer's public fields."""

    def __init__(self, fields: dict[str, str]):
        # public field name -> manifest type; nothing else may be named
        self.fields = fields
        self.params: list = []  # bound in the order the placeholders appear in the text

    def _param(self, value) -> sql.Placeholder:
        # Every child is built left to right, so appending keeps placeholders and values aligned.
        self.params.append(value)
        return sql.Placeholder()

    def where(self, node) -> sql.Composable:
        """Return the SQL condition for a whole filter (it must be a predicate)."""
        try:
            clause, kind = self._expr(node)
        except RecursionError:  # a tree deeper than MAX_OPERATORS lets through, by nesting
            raise _bad("it is nested too deeply") from None
        if kind != "boolean":
            raise _bad("it is not a condition (compare a property with a value)")
        return clause

    # -- expressions: each returns (sql, kind) --------------------------------
    def _expr(self, node):
        from pygeofilter import ast, values

        if isinstance(node, ast.Attribute):
            return self._attribute(node.name)
        if isinstance(node, bool):
            return self._param(node), "boolean"
        if isinstance(node, int | float):
            return self._param(node), "number"
        if isinstance(node, str):
            return self._param(node), "text"
        if isinstance(node, datetime):
            return sql.SQL("{}::timestamptz").format(self._param(node)), "datetime"
        if isinstance(node, date):
            return sql.SQL("{}::date").format(self._param(node)), "date"
        if isinstance(node, values.Geometry):
            return sql.SQL("ST_SetSRID(ST_GeomFromGeoJSON({}), 4326)").format(
                self._param(json.dumps(node.geometry))), "geometry"
        if isinstance(node, values.Envelope):
            return self._envelope(node.x1, node.y1, node.x2, node.y2)
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            args = node.arguments
            if len(args) == 4 and all(isinstance(a, int | float) for a in args):
                return self._envelope(*args)
            raise _bad("BBOX takes four numbers")
        if isinstance(node, ast.Combination):
            joiner = sql.SQL(" AND " if isinstance(node, ast.And) else " OR ")
            left, right = self.where(node.lhs), self.where(node.rhs)
            return sql.SQL("({})").format(joiner.join([left, right])), "boolean"
        if isinstance(node, ast.Not):
            return sql.SQL("(NOT {})").format(self.where(node.sub_node)), "boolean"
        if isinstance(node, ast.Comparison):
            return self._comparison(node)
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            return self._in(node)
        if isinstance(node, ast.Between):
            return self._between(node)
        if isinstance(node, ast.IsNull):
            target, _ = self._expr(node.lhs)
            word = "IS NOT NULL" if node.not_ else "IS NULL"
            return sql.SQL("({} {})").format(target, sql.SQL(word)), "boolean"
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self._spatial(node)
        if isinstance(node, ast.BBox):
            target = self._geometry(node.lhs)
            box, _ = self._envelope(node.minx, node.miny, node.maxx, node.maxy)
            return sql.SQL("ST_Intersects({}, {})").format(target, box), "boolean"
        if isinstance(node, ast.Arithmetic):
            return self._arithmetic(node)
        name = type(node).__name__
        raise _bad(f"{name} is not supported here (supported: comparisons, LIKE, IN, "
                   "BETWEEN, IS NULL, AND/OR/NOT, arithmetic, S_INTERSECTS and the other "
                   "spatial predicates, BBOX)")

    def _attribute(self, name: str):
        if name in GEOMETRY_NAMES:
            return sql.Identifier("geom"), "geometry"
        if name not in self.fields:
            raise _bad(f"unknown property {name[:64]!r} (the queryables list the properties)")
        return sql.Identifier(name), KINDS[self.fields[name]]

    def _envelope(self, *coords):
        if not all(isinstance(c, int | float) for c in coords):
            raise _bad("an envelope takes four numbers")
        try:
            coords = [float(c) for c in coords]
        except OverflowError:  # an integer of hundreds of digits
            raise _bad("an envelope's numbers must be coordinates in degrees") from None
        return sql.SQL("ST_MakeEnvelope({}, {}, {}, {}, 4326)").format(
            *[self._param(c) for c in coords]), "geometry"

    def _geometry(self, node):
        clause, kind = self._expr(node)
        if kind != "geometry":
            raise _bad("a spatial predicate needs geometries on both sides")
        return clause

    @staticmethod
    def _same(left_kind, right_kind, what):
        if left_kind != right_kind or left_kind == "geometry":
            raise _bad(f"{what} compares a {left_kind} with a {right_kind}")

    def _comparison(self, node):
        from pygeofilter import ast

        ops = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
               ast.GreaterThan: ">", ast.GreaterEqual: ">="}
        op = ops.get(type(node))
        if op is None:
            raise _bad(f"{type(node).__name__} is not supported")
        left, left_kind = self._expr(node.lhs)
        right, right_kind = self._expr(node.rhs)
        self._same(left_kind, right_kind, "a comparison")
        return sql.SQL("({} " + op + " {})").format(left, right), "boolean"

    def _like(self, node):
        target, kind = self._expr(node.lhs)
        if kind != "text":
            raise _bad("LIKE needs a text property")
        if not isinstance(node.pattern, str):
            raise _bad("LIKE needs a text pattern in quotes, e.g. address LIKE 'MASS%'")
        # CQL2 LIKE has SQL's wildcards (% and _) and a backslash escape: pass the pattern bound.
        word = "NOT LIKE" if node.not_ else ("ILIKE" if node.nocase else "LIKE")
        return sql.SQL("({} " + word + " {})").format(target, self._param(node.pattern)), \
            "boolean"

    def _in(self, node):
        target, kind = self._expr(node.lhs)
        items = []
        for sub in node.sub_nodes:
            clause, sub_kind = self._expr(sub)
            self._same(kind, sub_kind, "IN")
            items.append(clause)
        if not items:
            raise _bad("IN needs at least one value")
        word = "NOT IN" if node.not_ else "IN"
        return sql.SQL("({} " + word + " ({}))").format(target, sql.SQL(", ").join(items)), \
            "boolean"

    def _between(self, node):
        target, kind = self._expr(node.lhs)
        low, low_kind = self._expr(node.low)
        high, high_kind = self._expr(node.high)
        self._same(kind, low_kind, "BETWEEN")
        self._same(kind, high_kind, "BETWEEN")
        word = "NOT BETWEEN" if node.not_ else "BETWEEN"
        return sql.SQL("({} " + word + " {} AND {})").format(target, low, high), "boolean"

    def _spatial(self, node):
        from pygeofilter import ast

        functions = {ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
                     ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within",
                     ast.GeometryTouches: "ST_Touches", ast.GeometryCrosses: "ST_Crosses",
                     ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals"}
        function = functions.get(type(node))
        if function is None:
            raise _bad(f"{type(node).__name__} is not supported")
        left, right = self._geometry(node.lhs), self._geometry(node.rhs)
        return sql.SQL(function + "({}, {})").format(left, right), "boolean"

    def _arithmetic(self, node):
        from pygeofilter import ast

        ops = {ast.Add: "+", ast.Sub: "-", ast.Mul: "*", ast.Div: "/"}
        left, left_kind = self._expr(node.lhs)
        right, right_kind = self._expr(node.rhs)
        if left_kind != "number" or right_kind != "number":
            raise _bad("arithmetic needs numbers on both sides")
        if isinstance(node, ast.Div):
            # NULLIF keeps a division by zero a NULL (no match), not a database error
            return sql.SQL("({}::float8 / NULLIF({}, 0))").format(left, right), "number"
        return sql.SQL("({} " + ops[type(node)] + " {})").format(left, right), "number"


def translate(text: str, fields: dict[str, str]) -> tuple[sql.Composable, list]:
    """Return the SQL condition for a CQL2 text filter and its parameters, in order."""
    translator = Translator(fields)
    clause = translator.where(parse(text))
    return clause, translator.params
