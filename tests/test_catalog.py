"""The catalogue: /catalog for people, DCAT-AP 3 for harvesters (parsed back with rdflib)."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.conftest import DEMO_LAYERS


@pytest.fixture
def client(small_client):
    """The small city: its database holds the nine demo layers and nothing else."""
    return small_client


@pytest.fixture(params=[("/catalog.jsonld", "json-ld", "application/ld+json"),
                        ("/catalog.ttl", "turtle", "text/turtle")])
def graph(client, request):
    url, fmt, media = request.param
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == media
    parsed = Graph()
    parsed.parse(data=response.data.decode(), format=fmt)
    return parsed


def test_one_dataset_per_public_layer_with_the_mandatory_members(graph):
    catalogs = list(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    catalog = catalogs[0]
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert graph.value(catalog, prop) is not None
    datasets = set(graph.objects(catalog, DCAT.dataset))
    ids = {str(graph.value(d, DCTERMS.identifier)) for d in datasets}
    assert ids == set(DEMO_LAYERS)
    for dataset in datasets:
        assert (dataset, RDF.type, DCAT.Dataset) in graph
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher, DCAT.contactPoint,
                     DCAT.keyword, DCAT.theme, DCTERMS.spatial, DCTERMS.modified,
                     DCAT.distribution):
            assert graph.value(dataset, prop) is not None, (dataset, prop)


def test_parcels_dataset_titles_licence_theme_and_distributions(graph):
    dataset = next(d for d in graph.subjects(RDF.type, DCAT.Dataset)
                   if str(graph.value(d, DCTERMS.identifier)) == "parcels")
    titles = {t.language: str(t) for t in graph.objects(dataset, DCTERMS.title)}
    assert titles["en"] == "Parcels" and titles["ro"] == "Parcele cadastrale"
    assert "cadastre" in {str(k) for k in graph.objects(dataset, DCAT.keyword)}
    assert graph.value(dataset, DCAT.theme) == URIRef(
        "http://publications.europa.eu/resource/authority/data-theme/REGI")
    distributions = list(graph.objects(dataset, DCAT.distribution))
    formats = {str(graph.value(d, DCTERMS.format)).rsplit("/", 1)[1] for d in distributions}
    assert {"GEOJSON", "CSV", "GPKG", "SHP", "KML"} <= formats
    for dist in distributions:
        assert graph.value(dist, DCAT.accessURL) is not None
        assert graph.value(dist, DCTERMS.license) == URIRef(
            "https://opendatacommons.org/licenses/pddl/1-0/")
    bbox = str(graph.value(graph.value(dataset, DCTERMS.spatial), DCAT.bbox))
    assert bbox.startswith("POLYGON((-71.1")


def test_every_download_link_in_the_catalogue_answers(client, graph):
    urls = {str(graph.value(d, prop)) for d in graph.subjects(RDF.type, DCAT.Distribution)
            for prop in (DCAT.downloadURL, DCAT.accessURL)}
    ours = [u for u in urls if "/collections/neighbourhoods/" in u]
    assert len(ours) == 7  # six whole-layer files and the OGC API items
    for url in ours:
        assert client.get(url.replace("http://localhost", "")).status_code == 200, url


def test_catalog_page_for_people(client):
    response = client.get("/catalog")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.data.decode()
    for layer in DEMO_LAYERS:
        assert f'id="{layer}"' in page
    assert "Open Data Commons Public Domain Dedication and License 1.0" in page
    assert "/ogc/collections/parcels/download.gpkg" in page
    assert "Year the building was constructed" in page  # a field description
