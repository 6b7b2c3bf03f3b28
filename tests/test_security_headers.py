"""Every answer carries the security headers; every 5xx names a request id found in the log."""

from __future__ import annotations

import logging

import pytest

from mapserver import create_app
from mapserver.web.security import content_security_policy

HTML_PAGES = ["/", "/catalog", "/kpi", "/feedback", "/admin/login", "/ogc?f=html",
              "/buildings/qr-sheet"]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_html_pages_forbid_inline_scripts_and_framing(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "<style>" not in response.text and " style=" not in response.text


@pytest.mark.parametrize("path", ["/healthz", "/ogc/collections", "/tiles/parcels.json"])
def test_every_answer_says_nosniff(client, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


def test_an_external_basemap_may_serve_images_and_nothing_else():
    policy = content_security_policy("https://tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: blob: https://tiles.example.org;" in policy
    assert "connect-src 'self';" in policy
    assert "javascript" not in content_security_policy("javascript:alert(1)")


def test_a_5xx_names_a_request_id_that_is_in_the_log(settings, demo_city, caplog):
    app = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret detail /etc/passwd")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert f"request {request_id}" in response.json["description"]
    assert "secret" not in response.text and "passwd" not in response.text
    assert any(request_id in record.getMessage() for record in caplog.records)
