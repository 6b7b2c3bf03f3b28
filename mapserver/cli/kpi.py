"""`mapserver kpi snapshot`: store today's KPI values (run daily)."""

from __future__ import annotations

import click

from mapserver.cli.common import connect, current_settings


@click.group()
def kpi():
    """The city's measures."""


@kpi.command("snapshot")
def kpi_snapshot():
    """Store today's value of every KPI (run daily, e.g. from cron)."""
    from mapserver.kpi import period, report

    conn = connect(current_settings())
    try:
        stored = report.snapshot(conn, period.parse(None, None))
    finally:
        conn.close()
    click.echo(f"stored {stored} KPI values for today")
