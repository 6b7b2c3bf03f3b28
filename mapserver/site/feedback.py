"""Residents' feedback: NPS scores and dataset requests, checked, rate-limited, stored in PostGIS.

The rate limit counts submissions per salted hash of the client's IP address in
fixed windows kept in PostGIS, so it holds across web workers and restarts
without storing any address.  Text is stored verbatim; pages escape it.
Errors carry a catalogue key as their message; the web layer translates it.
"""

from __future__ import annotations

import hashlib

from mapserver.errors import InvalidParameter, TooManyRequests
from mapserver.params import parse_int

MAX_COMMENT = 2000
MAX_WHAT = 300
MAX_CONTACT = 200
WINDOW_MINUTES = 10
MAX_PER_WINDOW = 5
RESUBMIT_SECONDS = 120  # an identical submission within this time is the same one


def _text(value, key_too_long: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidParameter("feedback_not_text")
    value = value.strip()
    if "\x00" in value:
        raise InvalidParameter("feedback_not_text")
    if len(value) > limit:
        raise InvalidParameter(key_too_long)
    return value or None


def parse_score(form: dict) -> tuple[int, str | None]:
    """Return (score, comment) from a submitted form, or raise InvalidParameter."""
    try:
        score = parse_int(form.get("score"), "score", maximum=10)
    except InvalidParameter:
        raise InvalidParameter("nps_score_range") from None  # a catalogue key, translated
    return score, _text(form.get("comment"), "comment_too_long", MAX_COMMENT)


def parse_request(form: dict) -> tuple[str, str | None, str | None]:
    """Return (what, why, contact) of a dataset request, or raise InvalidParameter."""
    what = _text(form.get("what"), "request_what_too_long", MAX_WHAT)
    if not what:
        raise InvalidParameter("request_what_missing")
    why = _text(form.get("why"), "comment_too_long", MAX_COMMENT)
    contact = _text(form.get("contact"), "request_contact_too_long", MAX_CONTACT)
    return what, why, contact


def _client_hash(cur, *parts: str) -> str:
    """Return a salted hash of the client (and whatever else): no address is ever stored."""
    cur.execute("SELECT salt FROM mapserver.feedback_salt")
    salt = cur.fetchone()[0]
    return hashlib.sha256("\x1f".join([salt, *parts]).encode()).hexdigest()


def first_time(conn, client_ip: str, form: str, *content) -> bool:
    """Tell whether this client's identical submission is new (not a double click or reload).

    The fingerprint is claimed atomically, so two copies sent at once store one.
    """
    with conn.cursor() as cur:
        fingerprint = _client_hash(cur, client_ip, form, *(str(c) for c in content))
        cur.execute("DELETE FROM mapserver.recent_submissions WHERE at < now() - %s"
                    " * interval '1 second'", (RESUBMIT_SECONDS,))
        cur.execute("INSERT INTO mapserver.recent_submissions (fingerprint) VALUES (%s)"
                    " ON CONFLICT (fingerprint) DO NOTHING", (fingerprint,))
        return cur.rowcount == 1


def check_rate(conn, client_ip: str) -> None:
    """Count one submission for this client; raise TooManyRequests past the window's limit."""
    with conn.cursor() as cur:
        client = _client_hash(cur, client_ip)
        cur.execute(
            "INSERT INTO mapserver.feedback_rate AS r (client_hash, window_start)"
            " VALUES (%s, date_bin(%s::interval, now(), 'epoch'))"
            " ON CONFLICT (client_hash, window_start) DO UPDATE SET hits = r.hits + 1"
            " RETURNING hits", (client, f"{WINDOW_MINUTES} minutes"))
        hits = cur.fetchone()[0]
        cur.execute("DELETE FROM mapserver.feedback_rate WHERE window_start < now() - %s::interval",
                    (f"{2 * WINDOW_MINUTES} minutes",))
    if hits > MAX_PER_WINDOW:
        # The count must stay even though the request is refused.
        conn.commit()
        raise TooManyRequests("feedback_rate_limited")


def store_score(conn, score: int, comment: str | None, lang: str) -> int:
    """Store one NPS answer; return its id."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.feedback_scores (score, comment, lang)"
                    " VALUES (%s, %s, %s) RETURNING id", (score, comment, lang))
        return cur.fetchone()[0]


def store_request(conn, what: str, why: str | None, contact: str | None, lang: str) -> int:
    """Store one dataset request; return its id."""
    with conn.cursor() as cur:
        cur.execute("INSERT INTO mapserver.dataset_requests (what, why, contact, lang)"
                    " VALUES (%s, %s, %s, %s) RETURNING id", (what, why, contact, lang))
        return cur.fetchone()[0]


def public_requests(conn, limit: int = 100) -> list[dict]:
    """Return the latest dataset requests without their contact (personal data)."""
    with conn.cursor() as cur:
        cur.execute("SELECT what, why, created_at, status, answer FROM mapserver.dataset_requests"
                    " ORDER BY created_at DESC, id DESC LIMIT %s", (int(limit),))
        return [{"what": w, "why": y, "created_at": c, "status": s, "answer": a}
                for w, y, c, s, a in cur.fetchall()]


def nps(conn) -> dict:
    """Return the Net Promoter Score and its counts (promoters 9-10 minus detractors 0-6)."""
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE score >= 9),"
                    " count(*) FILTER (WHERE score <= 6) FROM mapserver.feedback_scores")
        total, promoters, detractors = cur.fetchone()
    score = round(100 * (promoters - detractors) / total) if total else None
    return {"answers": total, "promoters": promoters, "detractors": detractors, "nps": score}
