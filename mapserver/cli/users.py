"""`mapserver users add`: city staff accounts (the first admin, typically)."""

from __future__ import annotations

import sys

import click

from mapserver.cli.common import connect, current_settings


@click.group()
def users():
    """Manage city staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["admin", "planner", "staff"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(username, role, password_stdin):
    """Create an account (the first admin, typically); the password is asked for."""
    from mapserver import audit
    from mapserver.auth import users as accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    conn = connect(current_settings())
    try:
        user = accounts.create(conn, username.strip().lower(), password, role)
        audit.record(conn, "cli", "user-added", user.username, role=role)
        conn.commit()
    finally:
        conn.close()
    click.echo(f"user {user.username} created with role {user.role}")
