"""Feedback from residents: the NPS widget's answers and "Request a dataset", rate-limited.

Both take a form post (the /feedback page works without JavaScript) or JSON
(the map's widget).  Errors are 4xx in the reader's language.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from mapserver.errors import InvalidParameter, MapServerError, TooManyRequests
from mapserver.site import feedback as store
from mapserver.web import i18n, public_database
from mapserver.web.negotiate import wants_html

blueprint = Blueprint("feedback", __name__, template_folder="../templates")
MAX_BODY = 16 * 1024


def _form() -> dict:
    if request.content_length and request.content_length > MAX_BODY:
        raise InvalidParameter("feedback_too_large")
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidParameter("feedback_not_json")
        return body
    return request.form.to_dict()


def _translated(exc: MapServerError) -> MapServerError:
    """Return the error with its catalogue key replaced by the reader's-language message."""
    message = i18n.translate(exc.message, max_comment=store.MAX_COMMENT,
                             max_what=store.MAX_WHAT, max_contact=store.MAX_CONTACT)
    translated = type(exc)(message)
    return translated


def _submit(kind: str):
    lang = i18n.current()
    html = wants_html()  # decided first: a wrong f= must not come after storing
    try:
        form = _form()
        if kind == "score":
            score, comment = store.parse_score(form)
        else:
            what, why, contact = store.parse_request(form)
        client = request.remote_addr or "unknown"
        content = (score, comment) if kind == "score" else (what, why, contact)
        with public_database().connection() as conn:
            store.check_rate(conn, client)
            fresh = store.first_time(conn, client, kind, *content)  # not a double click
            if fresh and kind == "score":
                store.store_score(conn, score, comment, lang)
            elif fresh:
                store.store_request(conn, what, why, contact, lang)
    except (InvalidParameter, TooManyRequests) as exc:
        error = _translated(exc)
        if html:
            return _page(errors={kind: error.message}, form=request.form,
                         status=error.status)
        raise error from None
    message = i18n.translate("feedback_thanks" if kind == "score" else "request_thanks")
    if html:
        return _page(done={kind: message})
    if not fresh:
        return jsonify({"status": "already-stored", "message": message}), 200
    return jsonify({"status": "stored", "message": message}), 201


def _page(*, errors=None, done=None, form=None, status=200):
    with public_database().connection() as conn:
        requests = store.public_requests(conn, limit=20)
    return render_template("feedback.html", errors=errors or {}, done=done or {},
                           form=form or {}, requests=requests), status


@blueprint.get("/feedback")
def page():
    """Return the feedback page: the 0-10 question, a dataset request form, recent requests."""
    return _page()


@blueprint.post("/api/feedback/score")
def score():
    """Store one answer to "How likely are you to recommend this map?" (0-10)."""
    return _submit("score")


@blueprint.post("/api/feedback/dataset-request")
def dataset_request():
    """Store one request for a dataset (what, why, optional contact kept private)."""
    return _submit("request")
