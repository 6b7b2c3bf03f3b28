"""Accounts, roles, sessions and API tokens, all kept in PostGIS (workers hold no state)."""

ROLES = ("staff", "planner", "admin")  # each role may do what the ones before it may


def role_at_least(role: str | None, needed: str) -> bool:
    """Tell whether `role` includes the rights of `needed`."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)
