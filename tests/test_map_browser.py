"""The residents' map in a real headless Chromium: what a person sees, clicks and types.

Runs the distribution's Chromium through Playwright (never a downloaded browser).
Screenshots of the desktop and phone views land in test-artifacts/.
"""

from __future__ import annotations

import pytest
from headless import ARTIFACTS, AXE, chromium_path, launch

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Chromium is not installed (scripts/system-deps.sh)")

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 667}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    # Every HTML page carries a strict CSP: anything it blocks would show here.
    tab.on("console", lambda message: errors.append(message.text)
           if "Content Security Policy" in message.text else None)
    tab.base = live_server
    yield tab
    context.close()
    assert not errors, f"the page raised JavaScript errors or CSP violations: {errors}"


def open_map(page, suffix="/"):
    page.goto(page.base + suffix)
    page.wait_for_selector("html[data-map-ready='1']")
    return page


def wait_idle(page):
    page.wait_for_function(
        "() => document.documentElement.getAttribute('data-pending') === '0'")


def view(page):
    return page.evaluate("(() => { const c = CityMap.map.getCenter();"
                         " return [CityMap.map.getZoom(), c.lat, c.lng]; })()")


def test_toggling_a_module_shows_and_hides_its_features(page):
    open_map(page)
    points = page.locator("path.ms-layer-public-buildings")
    points.first.wait_for()
    assert points.count() == 94
    box = page.get_by_label("Public buildings", exact=True)
    assert box.is_checked()
    box.uncheck()
    assert points.count() == 0
    assert "public-buildings" not in page.evaluate("location.hash")
    zoning = page.locator("path.ms-layer-zoning")
    assert zoning.count() == 0
    page.get_by_label("Zoning districts").check()
    zoning.first.wait_for()
    assert zoning.count() > 10
    box.check()
    points.first.wait_for()
    assert points.count() == 94


def test_features_and_swatches_are_drawn_with_the_style_the_server_resolved(page):
    # The style defaults left the scripts for mapserver/layers/style.py: what the SVG
    # paths and the legend swatch show must be the blob's values, unchanged by the JS.
    open_map(page)
    page.locator("path.ms-layer-public-buildings").first.wait_for()
    style = page.evaluate("CityMap.config.layers.filter(l => l.id === 'public-buildings')[0]"
                          ".style")
    assert set(style) == {"color", "weight", "fill", "fillColor", "fillOpacity", "radius"}
    drawn = page.evaluate("""(() => {
      const p = document.querySelector('path.ms-layer-public-buildings');
      return ['stroke', 'stroke-width', 'fill', 'fill-opacity'].map(a => p.getAttribute(a));
    })()""")
    assert drawn == [style["color"], str(style["weight"]), style["fillColor"],
                     str(style["fillOpacity"])]
    swatch = page.locator("#layer-toggle-public-buildings + .ms-swatch")
    colours = page.evaluate("""(given) => given.map(c => {
      const s = document.createElement('span'); document.body.appendChild(s);
      s.style.color = c; const computed = getComputedStyle(s).color; s.remove(); return computed;
    })""", [style["color"], style["fillColor"]])
    assert swatch.evaluate("n => getComputedStyle(n).borderTopColor") == colours[0]
    assert swatch.evaluate("n => getComputedStyle(n).backgroundColor") == colours[1]


def test_search_127_123_zooms_to_the_parcel_and_its_popup_shows_the_address(page):
    open_map(page)
    field = page.get_by_role("combobox", name="Search a parcel id")
    field.fill("127-123")
    option = page.get_by_role("option").first
    option.wait_for()
    assert "127-123" in option.inner_text() and "23 ROCKWELL ST" in option.inner_text()
    field.press("ArrowDown")
    assert field.get_attribute("aria-activedescendant") == "ms-suggestion-0"
    field.press("Enter")
    popup = page.locator(".leaflet-popup .ms-popup")
    popup.wait_for()
    assert popup.locator("dd[data-field=address]").inner_text() == "23 ROCKWELL ST"
    assert popup.locator("dd[data-field=ml]").inner_text() == "127-123"
    assert popup.locator("dd[data-field=land_use]").inner_text().strip()
    assert popup.get_by_text("Parcel id", exact=True).count() == 1
    assert page.locator("path.ms-highlight").count() == 1
    zoom, lat, lng = view(page)
    assert zoom >= 17 and 42.3 < lat < 42.5 and -71.2 < lng < -71.0


def test_clicking_a_building_opens_its_popup_with_a_link_to_its_page(page):
    open_map(page, "/#map=15/42.3736/-71.1097&layers=public-buildings")
    page.locator("path.ms-layer-public-buildings").first.wait_for()
    # Click a marker well inside the map, away from the floating controls.
    inside = [m for m in page.locator("path.ms-layer-public-buildings").all()
              if (box := m.bounding_box()) and 400 < box["x"] < 850 and 200 < box["y"] < 650]
    assert inside, "some buildings lie in the middle of the view"
    inside[0].click()
    popup = page.locator(".leaflet-popup .ms-popup")
    popup.wait_for()
    assert popup.locator("dt", has_text="Step-free entrance").count() == 1
    link = popup.get_by_role("link", name="Accessibility and details")
    assert link.get_attribute("href").startswith("/buildings/")


def test_a_permalink_restores_view_and_modules(page, browser, live_server):
    open_map(page, "/#map=16/42.37360/-71.10970&layers=zoning,public-buildings")
    zoom, lat, lng = view(page)
    assert zoom == 16 and abs(lat - 42.3736) < 1e-4 and abs(lng + 71.1097) < 1e-4
    assert page.get_by_label("Zoning districts").is_checked()
    assert not page.get_by_label("Parcels", exact=True).is_checked()
    page.locator("path.ms-layer-zoning").first.wait_for()
    # Change the map, then open the link it shows in a fresh browser.
    page.get_by_label("Streets", exact=True).check()
    page.evaluate("CityMap.map.setView([42.3801, -71.1205], 17, {animate: false})")
    link = page.url
    assert "streets" in link and "map=17/" in link
    other = browser.new_context(viewport=DESKTOP).new_page()
    other.goto(link)
    other.wait_for_selector("html[data-map-ready='1']")
    zoom, lat, lng = view(other)
    assert zoom == 17 and abs(lat - 42.3801) < 1e-3 and abs(lng + 71.1205) < 1e-3
    assert other.get_by_label("Streets", exact=True).is_checked()
    assert other.get_by_label("Zoning districts").is_checked()
    assert not other.get_by_label("Parcels", exact=True).is_checked()
    other.locator("path.ms-layer-streets").first.wait_for()
    other.context.close()


FOCUSABLE = """() => Array.from(document.querySelectorAll(
  'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])'))
  .filter(e => !e.disabled && e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden'
           && !e.closest('.leaflet-marker-pane, .leaflet-overlay-pane'))
  .map(e => e.id || e.getAttribute('data-layer') || e.getAttribute('aria-label')
            || e.getAttribute('title') || e.textContent.trim() || e.className)"""

ACTIVE = """() => { const e = document.activeElement;
  if (e === document.body) { return {name: 'body', outline: true, shadow: true}; }
  const s = getComputedStyle(e);
  return {name: e.id || e.getAttribute('data-layer') || e.getAttribute('aria-label')
                || e.getAttribute('title') || e.textContent.trim() || e.className,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          shadow: s.boxShadow !== 'none'}; }"""


def test_keyboard_alone_reaches_every_control_with_visible_focus(page):
    open_map(page)
    page.get_by_role("button", name="List of features in view").click()
    page.get_by_role("button", name="Feedback").click()
    wanted = set(page.evaluate(FOCUSABLE))
    assert {"ms-search-input", "ms-layers-toggle", "ms-list-toggle", "ms-locate",
            "ms-feedback-toggle", "map", "Zoom in", "Zoom out", "layer-toggle-parcels"} <= wanted
    page.locator("body").focus()
    reached, invisible = set(), []
    for _ in range(600):
        if wanted <= reached:
            break
        page.keyboard.press("Tab")
        focus = page.evaluate(ACTIVE)
        reached.add(focus["name"])
        if not (focus["outline"] or focus["shadow"]):
            invisible.append(focus["name"])
    assert wanted - reached == set(), "every control is reachable with Tab"
    assert invisible == [], "every focused control shows where the focus is"


def test_keyboard_alone_searches_and_toggles(page):
    open_map(page)
    page.locator("#ms-search-input").focus()
    page.keyboard.type("127-123")
    page.get_by_role("option").first.wait_for()
    page.keyboard.press("Enter")
    page.locator(".leaflet-popup .ms-popup").wait_for()
    box = page.locator("#layer-toggle-public-buildings")
    box.focus()
    page.keyboard.press("Space")
    assert not box.is_checked()
    assert page.locator("path.ms-layer-public-buildings").count() == 0


def test_list_view_names_the_features_in_view(page):
    open_map(page, "/#map=16/42.37360/-71.10970&layers=public-buildings")
    page.get_by_role("button", name="List of features in view").click()
    item = page.locator("#ms-list-panel li button").first
    item.wait_for()
    names = page.locator("#ms-list-panel li button").all_inner_texts()
    assert names and all(n.strip() for n in names)
    item.click()
    page.locator(".leaflet-popup .ms-popup").wait_for()


def test_romanian_interface(page):
    open_map(page, "/?lang=ro")
    assert page.get_by_role("button", name="Straturi").count() == 1
    assert page.get_by_label("Parcele cadastrale").is_checked()
    assert page.evaluate("document.documentElement.lang") == "ro"


def _axe(page):
    # Evaluated through DevTools: an injected <script> would be refused by the page's CSP.
    page.evaluate(AXE.read_text() + "\n;0")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)
    return [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5])
            for v in result["violations"]]


def test_axe_finds_no_violations_on_the_map(page):
    open_map(page)
    assert _axe(page) == []
    page.get_by_role("button", name="List of features in view").click()
    page.locator("#ms-list-panel li button").first.wait_for()
    page.get_by_role("button", name="Feedback").click()
    field = page.locator("#ms-search-input")
    field.fill("127-123")
    page.get_by_role("option").first.wait_for()
    assert _axe(page) == []
    field.press("Enter")
    page.locator(".leaflet-popup .ms-popup").wait_for()
    assert _axe(page) == []


def test_axe_finds_no_violations_on_building_feedback_and_qr_pages(page):
    page.goto(page.base + "/api/search?q=library")
    fid = page.evaluate("JSON.parse(document.body.innerText).results[0].fid")
    for path in (f"/buildings/{fid}", "/feedback", "/buildings/qr-sheet", "/buildings/0",
                 "/catalog", "/kpi", "/admin/login"):
        page.goto(page.base + path)
        assert _axe(page) == [], path


def test_phone_layout_fits_375_by_667(browser, live_server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    phone = context.new_page()
    phone.goto(live_server + "/")
    phone.wait_for_selector("html[data-map-ready='1']")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.evaluate("document.documentElement.scrollHeight") <= PHONE["height"]
    # The layer list starts folded on a phone; every control lies inside the screen.
    assert phone.locator("#ms-layers-toggle").get_attribute("aria-expanded") == "false"
    for selector in ("#ms-search-input", "#ms-layers-toggle", "#ms-list-toggle", "#ms-locate",
                     "#ms-feedback-toggle", ".leaflet-control-zoom-in"):
        box = phone.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], selector
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "map-phone.png"))
    phone.locator("#ms-layers-toggle").tap()
    panel = phone.locator("#ms-layers-panel").bounding_box()
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= PHONE["width"]
    phone.screenshot(path=str(ARTIFACTS / "map-phone-layers.png"))
    context.close()


def test_desktop_screenshot_after_a_search(page):
    open_map(page)
    page.locator("#ms-search-input").fill("127-123")
    page.get_by_role("option").first.wait_for()
    page.locator("#ms-search-input").press("Enter")
    page.locator(".leaflet-popup .ms-popup").wait_for()
    wait_idle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map-desktop.png"))
    assert (ARTIFACTS / "map-desktop.png").stat().st_size > 10_000


def test_building_page_link_to_parcel_finds_it_on_the_map(page):
    page.goto(page.base + "/api/search?q=library")
    fid = page.evaluate("JSON.parse(document.body.innerText).results[0].fid")
    page.goto(page.base + f"/buildings/{fid}")
    link = page.locator("a[href^='/?find=']")
    ml = link.get_attribute("href").split("=", 1)[1]
    link.click()
    popup = page.locator(".leaflet-popup .ms-popup")
    popup.wait_for()
    assert popup.locator("dd[data-field=ml]").inner_text() == ml.replace("%20", " ")


def test_nps_widget_stores_an_answer_and_says_thanks(page, database_url):
    import psycopg2

    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("DELETE FROM mapserver.feedback_rate")
        cur.execute("SELECT count(*) FROM mapserver.feedback_scores WHERE comment = 'from the map'")
        before = cur.fetchone()[0]
    open_map(page)
    page.get_by_role("button", name="Feedback").click()
    page.get_by_role("radio", name="9").check()
    page.get_by_label("Comment (optional)").fill("from the map")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Thank you for your answer.").wait_for()
    with psycopg2.connect(database_url) as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM mapserver.feedback_scores"
                    " WHERE comment = 'from the map' AND score = 9")
        assert cur.fetchone()[0] == before + 1


def test_print_view_keeps_the_map_and_legend_and_hides_the_controls(page):
    open_map(page)
    page.emulate_media(media="print")
    assert page.locator("#map").is_visible()
    assert page.locator("#ms-layers-panel").is_visible()
    assert page.get_by_text("Public buildings", exact=True).is_visible()
    assert not page.get_by_text("Zoning districts", exact=True).is_visible(), "off modules hide"
    for selector in ("#ms-search-input", "#ms-locate", ".leaflet-control-zoom", ".site-header"):
        assert not page.locator(selector).is_visible(), selector


def _toggles_counted(page) -> int:
    totals = page.evaluate("fetch('/kpi.json?names=map_use').then(r => r.json())"
                           ".then(b => b.kpis[0].detail.totals)")
    return totals["module_toggle"]


def test_module_toggles_are_counted_for_the_kpis(page):
    open_map(page)
    before = _toggles_counted(page)
    page.get_by_label("Zoning districts").check()
    page.get_by_label("Zoning districts").uncheck()
    page.wait_for_function(f"() => fetch('/kpi.json?names=map_use').then(r => r.json())"
                           f".then(b => b.kpis[0].detail.totals.module_toggle >= {before + 2})")
    assert _toggles_counted(page) >= before + 2


def test_kpi_page_draws_its_charts_from_the_tables_numbers(page):
    page.goto(page.base + "/kpi")
    assert page.get_by_role("heading", name="Thematic modules on the map").count() == 1
    page.locator("#chart-modules").wait_for(state="visible")
    assert page.evaluate("Chart.getChart('chart-modules').data.datasets[0].data.length") >= 1
    page.screenshot(path=str(ARTIFACTS / "kpi-desktop.png"), full_page=True)


def test_planner_uploads_by_dropping_a_file_and_previews_it(page, database_url, tmp_path):
    import json as _json

    import psycopg2

    from mapserver.auth import users

    with psycopg2.connect(database_url) as conn:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM mapserver.users WHERE username = 'b-planner'")
        users.create(conn, "b-planner", "a long enough password", "planner")
    upload = tmp_path / "benches.geojson"
    upload.write_text(_json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"seat": "oak"},
         "geometry": {"type": "Point", "coordinates": [-71.1 + i / 1000, 42.37]}}
        for i in range(3)]}))
    page.goto(page.base + "/admin/")
    page.get_by_label("User name").fill("b-planner")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Layers").wait_for()
    assert _axe(page) == []
    page.get_by_label("Layer id").fill("b-benches")
    page.get_by_label("File (").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_text("Loaded b-benches as version 1").wait_for()
    assert page.get_by_text("3 of 3 features loaded").count() == 1
    page.locator(".preview-map path.leaflet-interactive").first.wait_for()
    assert page.locator(".preview-map path.leaflet-interactive").count() == 3
    page.screenshot(path=str(ARTIFACTS / "admin-upload.png"), full_page=True)
