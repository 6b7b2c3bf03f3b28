"""The open-data catalogue: /catalog for people, DCAT-AP 3 as JSON-LD and Turtle for harvesters.

One dcat:Dataset per public layer, one dcat:Distribution per download format
plus the OGC API collection.  Vocabularies are the EU's controlled ones (file
types, data themes) as URIs, as DCAT-AP asks.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from mapserver.layers import registry
from mapserver.ogc.describe import DOWNLOADS, english
from mapserver.params import check_known
from mapserver.web import public_database
from mapserver.web.links import site_root

blueprint = Blueprint("catalog", __name__, template_folder="templates")

EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPES = {"geojson": "GEOJSON", "csv": "CSV", "csv-metadata.json": "JSON", "gpkg": "GPKG",
              "shp.zip": "SHP", "kml": "KML"}
THEMES = {"cadastre": "REGI", "public-services": "GOVE", "transport": "TRAN",
          "environment": "ENVI", "planning": "REGI", "boundaries": "REGI", "utilities": "ENER",
          "events": "SOCI", "other": "GOVE"}


def _base() -> str:
    return site_root()


def _graph(layers):
    """Build the DCAT-AP graph of the public layers."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    locn = Namespace("http://www.w3.org/ns/locn#")
    geosparql = Namespace("http://www.opengis.net/ont/geosparql#")
    settings = current_app.extensions["mapserver.settings"]
    publisher_name = settings.publisher
    base = _base()
    graph = Graph(bind_namespaces="none")
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", vcard),
                       ("locn", locn), ("gsp", geosparql), ("xsd", XSD), ("rdf", RDF),
                       ("dcatap", URIRef("http://data.europa.eu/r5r/"))):
        graph.bind(prefix, ns)
    catalog = URIRef(base + "/catalog")
    publisher = URIRef(base + "/catalog#publisher")
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(publisher_name)))
    contact = URIRef(base + "/catalog#contact")
    graph.add((contact, RDF.type, vcard.Organization))
    graph.add((contact, vcard.fn, Literal(publisher_name)))
    graph.add((contact, vcard.hasEmail, URIRef("mailto:" + settings.contact_email)))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(f"{publisher_name}: open data", lang="en")))
    graph.add((catalog, DCTERMS.description, Literal(
        "Every public thematic layer of the city map server.", lang="en")))
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, FOAF.homepage, URIRef(base + "/catalog")))
    for record in layers:
        m = record.manifest
        dataset = URIRef(f"{base}/catalog#{record.id}")
        graph.add((catalog, DCAT.dataset, dataset))
        graph.add((dataset, RDF.type, DCAT.Dataset))
        graph.add((dataset, DCTERMS.identifier, Literal(record.id)))
        for lang, text in m["title"].items():
            graph.add((dataset, DCTERMS.title, Literal(text, lang=lang)))
        for lang, text in m["description"].items():
            graph.add((dataset, DCTERMS.description, Literal(text, lang=lang)))
        graph.add((dataset, DCTERMS.publisher, publisher))
        graph.add((dataset, DCAT.contactPoint, contact))
        for word in m.get("keywords", []):
            graph.add((dataset, DCAT.keyword, Literal(word, lang="en")))
        graph.add((dataset, DCAT.theme, URIRef(EU + "data-theme/" +
                                               THEMES.get(m["category"], "GOVE"))))
        graph.add((dataset, DCAT.landingPage,
                   URIRef(f"{base}/ogc/collections/{record.id}?f=html")))
        if record.loaded_at:
            graph.add((dataset, DCTERMS.modified,
                       Literal(record.loaded_at.isoformat(), datatype=XSD.dateTime)))
        graph.add((dataset, URIRef(str(DCAT) + "version"), Literal(str(record.version))))
        if record.bbox:
            minx, miny, maxx, maxy = record.bbox
            place = BNode()
            graph.add((dataset, DCTERMS.spatial, place))
            graph.add((place, RDF.type, DCTERMS.Location))
            wkt = (f"POLYGON(({minx} {miny},{maxx} {miny},{maxx} {maxy},{minx} {maxy},"
                   f"{minx} {miny}))")
            graph.add((place, DCAT.bbox, Literal(wkt, datatype=geosparql.wktLiteral)))
        licence = URIRef(m["licence"]["url"])
        graph.add((licence, RDF.type, DCTERMS.LicenseDocument))
        api = URIRef(f"{base}/ogc/collections/{record.id}/items")
        # The API is a distribution reached through accessURL only (nothing to download).
        distributions = [(api, "OGC API - Features", "application/geo+json", "GEOJSON", None)]
        for key, (media, title) in DOWNLOADS.items():
            href = f"{base}/ogc/collections/{record.id}/download.{key}"
            distributions.append((URIRef(href), title, media, FILE_TYPES[key], href))
        for number, (access, title, media, file_type, download) in enumerate(distributions):
            dist = URIRef(f"{base}/catalog#{record.id}-distribution-{number}")
            graph.add((dataset, DCAT.distribution, dist))
            graph.add((dist, RDF.type, DCAT.Distribution))
            graph.add((dist, DCTERMS.title, Literal(title, lang="en")))
            graph.add((dist, DCTERMS.description,
                       Literal(f"{english(m['title'])}: {title}", lang="en")))
            graph.add((dist, DCAT.accessURL, access))
            if download:
                graph.add((dist, DCAT.downloadURL, URIRef(download)))
            graph.add((dist, DCAT.mediaType, URIRef("https://www.iana.org/assignments/"
                                                     "media-types/" + media)))
            graph.add((dist, DCTERMS.format, URIRef(EU + "file-type/" + file_type)))
            graph.add((dist, DCTERMS.license, licence))
            graph.add((dist, DCTERMS.rights, Literal(f"Attribution: {m['attribution']}")))
            graph.add((dist, URIRef("http://data.europa.eu/r5r/availability"),
                       URIRef(EU + "planned-availability/AVAILABLE")))
    return graph


def _layers():
    with public_database().connection() as conn:
        return registry.public_layers(conn)


@blueprint.get("/catalog")
def catalog_html():
    """Show the catalogue to people: what each dataset is, its fields, licence and downloads."""
    check_known(request.args, set())
    layers = _layers()
    entries = [{"record": r, "title": english(r.manifest["title"]),
                "description": english(r.manifest["description"]),
                "fields": [(f.name, f.type, english(f.description))
                           for f in r.spec.public_fields],
                "downloads": [(k, t) for k, (_, t) in DOWNLOADS.items()]}
               for r in layers]
    return Response(render_template("ogc/catalog.html", entries=entries, doc={}),
                    mimetype="text/html")


@blueprint.get("/catalog.jsonld")
def catalog_jsonld():
    """Return the DCAT-AP 3 catalogue as JSON-LD."""
    check_known(request.args, set())
    text = _graph(_layers()).serialize(format="json-ld", auto_compact=True)
    return Response(text, mimetype="application/ld+json")


@blueprint.get("/catalog.ttl")
def catalog_turtle():
    """Return the DCAT-AP 3 catalogue as Turtle."""
    check_known(request.args, set())
    return Response(_graph(_layers()).serialize(format="turtle"), mimetype="text/turtle")
