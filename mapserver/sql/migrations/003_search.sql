-- Trigram similarity for the map's search box (misspelt street names still match).
-- The search reads each layer's current version table, so nothing else is needed here.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
