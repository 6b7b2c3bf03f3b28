"""The cadastral domain: parcel identifiers, the assessment join, buildings on parcels.

Plain Python with no web framework in it, so ingest, search and the web layer
can all use it and it can be tested on its own.
"""
