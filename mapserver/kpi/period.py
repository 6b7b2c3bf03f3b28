"""The months a KPI request covers: ``from`` and ``to`` as YYYY-MM, both included."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from mapserver.errors import InvalidParameter

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits (\d also takes '٢٠٢٦'), whole
LAST_YEAR = 9998  # a period ends at the next month's first day, which must still be a date
MAX_MONTHS = 120


@dataclass(frozen=True)
class Period:
    """A span of whole months: [start, end) as dates."""

    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return f"{self.start:%Y-%m}..{last:%Y-%m}"


def _month(text: str, name: str) -> dt.date:
    match = MONTH.fullmatch(text)
    if (not match or not 1 <= int(match.group(2)) <= 12
            or not 1900 <= int(match.group(1)) <= LAST_YEAR):
        raise InvalidParameter(f"{name}={text!r} is not a month",
                               fix=f"write {name} as YYYY-MM, e.g. {name}=2026-01")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse(start: str | None, end: str | None, today: dt.date | None = None) -> Period:
    """Return the period asked for; by default the last twelve months up to this one."""
    today = today or dt.date.today()
    last = _month(end, "to") if end else today.replace(day=1)
    if start:
        first = _month(start, "from")
    else:
        first = dt.date(last.year - 1 + (last.month == 12), last.month % 12 + 1, 1)
    if first > last:
        raise InvalidParameter(f"from={first:%Y-%m} is after to={last:%Y-%m}",
                               fix="put the earlier month in from")
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_MONTHS:
        raise InvalidParameter(f"the period spans {months} months (at most {MAX_MONTHS})",
                               fix="ask for a shorter period")
    return Period(first, _next_month(last))
