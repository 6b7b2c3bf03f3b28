"""The file types a layer can be loaded from: light enough for any module to import."""

# File ending -> the GDAL drivers allowed to read it.
DRIVERS = {
    ".geojson": ("GeoJSON",),
    ".json": ("GeoJSON", "TopoJSON"),
    ".topojson": ("TopoJSON",),
    ".shp": ("ESRI Shapefile",),
    ".gpkg": ("GPKG",),
    ".csv": ("CSV",),
    ".kml": ("KML",),  # LIBKML left out: a second, unmaintained parser to expose
}
