"""The planners' inbox of residents' dataset requests, and the states residents see.

new -> accepted -> published, or declined from new or accepted; declining needs a
public answer, so a resident always learns why.
"""

from __future__ import annotations

from psycopg2.extras import RealDictCursor

from mapserver import audit
from mapserver.errors import InvalidParameter, NotFound
from mapserver.params import parse_layer_id

MOVES = {"new": {"accepted", "declined"}, "accepted": {"published", "declined"},
         "published": set(), "declined": set()}
MAX_ANSWER = 2000


def inbox(conn, limit: int = 200) -> list[dict]:
    """Return requests for staff, open ones first (the contact included: staff only)."""
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT id, what, why, contact, lang, status, answer, layer_id, created_at,"
                    " updated_at FROM mapserver.dataset_requests ORDER BY"
                    " (status IN ('new', 'accepted')) DESC, created_at DESC LIMIT %s",
                    (int(limit),))
        return cur.fetchall()


def move(conn, request_id: int, status: str, answer: str | None, actor: str,
         layer_id: str | None = None) -> dict:
    """Move a request to a new state with an optional public answer."""
    if layer_id is not None:
        parse_layer_id(layer_id, fix="give the id of the layer that answers the request "
                       "(a-z, 0-9 and -, e.g. street-trees)")
    answer = (answer or "").strip() or None
    if answer and len(answer) > MAX_ANSWER:
        raise InvalidParameter(f"the answer is longer than {MAX_ANSWER} characters",
                               fix="shorten it")
    with conn.cursor(cursor_factory=RealDictCursor) as cur:
        cur.execute("SELECT status FROM mapserver.dataset_requests WHERE id = %s FOR UPDATE",
                    (int(request_id),))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"no dataset request {request_id}", fix="pick one from the inbox")
        if status not in MOVES[row["status"]]:
            allowed = ", ".join(sorted(MOVES[row["status"]])) or "none (it is closed)"
            raise InvalidParameter(f"a {row['status']} request cannot become {status!r}",
                                   fix=f"move it to: {allowed}")
        if status == "declined" and not answer:
            raise InvalidParameter("declining needs a public answer",
                                   fix="say why, so the resident knows")
        cur.execute("UPDATE mapserver.dataset_requests SET status = %s,"
                    " answer = coalesce(%s, answer), layer_id = coalesce(%s, layer_id),"
                    " updated_at = now() WHERE id = %s RETURNING id, status, answer, layer_id",
                    (status, answer, layer_id, int(request_id)))
        result = cur.fetchone()
    audit.record(conn, actor, "request-" + status, str(request_id), answer=answer)
    conn.commit()
    return dict(result)
