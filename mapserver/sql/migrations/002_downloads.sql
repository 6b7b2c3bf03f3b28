-- Whole-layer downloads counted per layer, format, dataset category and day (a KPI).
-- One row per (layer, format, day), incremented by an upsert: several web workers
-- counting at once never lose a count (the row lock serialises the increments).
CREATE TABLE mapserver.downloads (
    layer_id  text NOT NULL,
    format    text NOT NULL,
    category  text NOT NULL,
    day       date NOT NULL DEFAULT current_date,
    count     bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
    PRIMARY KEY (layer_id, format, day)
);
CREATE INDEX downloads_category_day ON mapserver.downloads (category, day);
