-- The public forms skip a resubmitted form (migration 015, site/feedback.py first_time):
-- the public read role claims new fingerprints and forgets old ones (salted hashes only).
-- A table a public endpoint writes needs its grant to the public role, as here (014).
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, DELETE ON mapserver.recent_submissions TO %I',
                   mapserver.db_role('public'));
END $$;
