"""Ingest: any supported file to a new, atomically swapped-in version of a layer."""
