"""The planners' admin: upload, describe, publish and roll back layers; HTML and a JSON API."""
