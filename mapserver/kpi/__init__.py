"""The city's measures of its map and open data, computed from the live system."""
