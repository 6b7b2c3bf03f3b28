-- The registry of loaded layers. Each load writes a new table layers."<id>__v<N>";
-- mapserver.layers points at the version served, and the swap to a new version
-- is one transaction that moves that pointer (and the stable view layers."<id>").
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS layers;

CREATE TABLE mapserver.layers (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,47}$'),
    version         integer NOT NULL DEFAULT 0,
    table_name      text,
    manifest        jsonb NOT NULL,
    geometry_type   text,
    feature_count   bigint,
    bbox            double precision[],   -- minx, miny, maxx, maxy in EPSG:4326
    source_checksum text,
    loaded_at       timestamptz,
    load_report     jsonb,
    published       boolean NOT NULL DEFAULT true
);

CREATE TABLE mapserver.layer_versions (
    layer_id        text NOT NULL REFERENCES mapserver.layers (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    table_name      text NOT NULL,
    manifest        jsonb NOT NULL,
    geometry_type   text NOT NULL,
    feature_count   bigint NOT NULL,
    bbox            double precision[],
    source_checksum text NOT NULL,
    loaded_at       timestamptz NOT NULL DEFAULT now(),
    loaded_by       text NOT NULL DEFAULT current_user,
    load_report     jsonb NOT NULL,
    table_dropped   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (layer_id, version)
);
