"""Layers as a domain: manifests, the registry of served versions, planners' edits."""
