-- Map use counted server-side, without personal data: one counter row per day, kind and
-- detail (a layer id for module toggles), incremented by an upsert from any worker.
CREATE TABLE mapserver.usage_counts (
    day     date NOT NULL DEFAULT current_date,
    kind    text NOT NULL CHECK (kind IN ('page_view', 'module_toggle', 'search')),
    detail  text NOT NULL DEFAULT '',
    count   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, kind, detail)
);

-- One row per KPI per day, so trends can be plotted after the underlying data changed.
CREATE TABLE mapserver.kpi_snapshots (
    day     date NOT NULL,
    name    text NOT NULL,
    value   double precision,
    detail  jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (day, name)
);
