-- Web workers keep a copy of the registry (mapserver/registry_watch.py) and LISTEN on
-- mapserver_layers: any committed change to a layer's row tells them to reload it.
CREATE FUNCTION mapserver.notify_layers_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('mapserver_layers', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER layers_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mapserver.layers
    FOR EACH STATEMENT EXECUTE FUNCTION mapserver.notify_layers_changed();
