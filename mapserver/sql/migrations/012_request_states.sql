-- Dataset requests move through states a resident can follow:
-- new -> accepted -> published, or declined (with a public answer) from new or accepted.
ALTER TABLE mapserver.dataset_requests
    ADD COLUMN status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'accepted', 'published', 'declined')),
    ADD COLUMN answer text CHECK (length(answer) <= 2000),
    ADD COLUMN layer_id text,
    ADD COLUMN updated_at timestamptz;
