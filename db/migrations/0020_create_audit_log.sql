-- Every change to companies, products and acquisitions (and their aliases, external ids and
-- product links) is recorded by triggers, in the same transaction as the change: who (the API key
-- id the API puts in the setting deals.actor), when, what, and the row before and after.
-- Bulk statements are recorded per statement (transition tables), updates per changed row.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx         bigint      NOT NULL DEFAULT txid_current(),
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text        DEFAULT NULLIF(current_setting('deals.actor', true), ''),
    entity     text        NOT NULL CHECK (entity IN ('company', 'product', 'acquisition')),
    entity_id  bigint      NOT NULL,
    table_name text        NOT NULL,
    action     text        NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    before     jsonb,
    after      jsonb
);

CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_tx_idx ON audit_log (tx, id);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);

-- TG_ARGV: the entity kind, and the column holding the entity id.
CREATE FUNCTION audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log (entity, entity_id, table_name, action, after)
        SELECT TG_ARGV[0], (to_jsonb(n) ->> TG_ARGV[1])::bigint, TG_TABLE_NAME, 'insert', to_jsonb(n) FROM new_rows n;
    ELSE
        INSERT INTO audit_log (entity, entity_id, table_name, action, before)
        SELECT TG_ARGV[0], (to_jsonb(o) ->> TG_ARGV[1])::bigint, TG_TABLE_NAME, 'delete', to_jsonb(o) FROM old_rows o;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION audit_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (entity, entity_id, table_name, action, before, after)
    VALUES (TG_ARGV[0], (to_jsonb(NEW) ->> TG_ARGV[1])::bigint, TG_TABLE_NAME, 'update', to_jsonb(OLD), to_jsonb(NEW));
    RETURN NULL;
END $$;

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('companies', 'company', 'id'), ('company_aliases', 'company', 'company_id'),
        ('company_external_ids', 'company', 'company_id'), ('products', 'product', 'id'),
        ('acquisitions', 'acquisition', 'id'), ('acquisition_products', 'acquisition', 'acquisition_id')
    ) AS v (tbl, entity, id_column)
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION audit_statement(%L, %L)', t.tbl || '_audit_insert', t.tbl, t.entity, t.id_column);
        EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows
                        FOR EACH STATEMENT EXECUTE FUNCTION audit_statement(%L, %L)', t.tbl || '_audit_delete', t.tbl, t.entity, t.id_column);
        EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %I FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
                        EXECUTE FUNCTION audit_update(%L, %L)', t.tbl || '_audit_update', t.tbl, t.entity, t.id_column);
    END LOOP;
END $$;

-- Undoes the change an audit entry belongs to: every row change of that transaction to the same
-- entity, newest first. Refused (SQLSTATE DA409) when a row has changed since, so that an undo
-- never overwrites newer work. The undo is itself a change, audited like any other.
CREATE FUNCTION audit_undo(entry_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    target audit_log;
    e audit_log;
    keys text[];
    columns text[];
    key_match text;
    current_row jsonb;
BEGIN
    SELECT * INTO target FROM audit_log WHERE id = entry_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no audit entry %', entry_id USING ERRCODE = 'DA404';
    END IF;

    -- Parents are restored before their children, and children removed before their parents.
    FOR e IN
        SELECT a.* FROM audit_log a
        WHERE a.tx = target.tx AND a.entity = target.entity AND a.entity_id = target.entity_id
        ORDER BY CASE WHEN a.action = 'delete' THEN 0 ELSE 1 END,
                 CASE WHEN a.action = 'delete' THEN
                     array_position(ARRAY['companies', 'products', 'acquisitions', 'company_aliases', 'company_external_ids', 'acquisition_products'], a.table_name)
                 ELSE
                     -array_position(ARRAY['companies', 'products', 'acquisitions', 'company_aliases', 'company_external_ids', 'acquisition_products'], a.table_name)
                 END,
                 a.id DESC
    LOOP
        keys := CASE e.table_name
            WHEN 'company_aliases' THEN ARRAY['company_id', 'alias']
            WHEN 'company_external_ids' THEN ARRAY['company_id', 'registry']
            WHEN 'acquisition_products' THEN ARRAY['acquisition_id', 'product_id']
            ELSE ARRAY['id'] END;
        SELECT string_agg(format('t.%I::text = (%L::jsonb ->> %L)', k, coalesce(e.after, e.before), k), ' AND ') INTO key_match FROM unnest(keys) AS k;
        -- Stored columns only: generated ones are computed again.
        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO columns
        FROM pg_attribute a
        WHERE a.attrelid = e.table_name::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
        EXECUTE format('SELECT to_jsonb(t) FROM %I t WHERE %s', e.table_name, key_match) INTO current_row;

        IF current_row IS DISTINCT FROM e.after THEN
            RAISE EXCEPTION 'entry % cannot be undone: the % row has changed since', entry_id, e.table_name USING ERRCODE = 'DA409';
        END IF;

        IF e.action = 'insert' THEN
            EXECUTE format('DELETE FROM %I t WHERE %s', e.table_name, key_match);
        ELSIF e.action = 'delete' THEN
            EXECUTE format('INSERT INTO %I (%s) OVERRIDING SYSTEM VALUE SELECT %s FROM jsonb_populate_record(NULL::%I, %L::jsonb) r',
                e.table_name,
                (SELECT string_agg(format('%I', c), ', ') FROM unnest(columns) AS c),
                (SELECT string_agg(format('r.%I', c), ', ') FROM unnest(columns) AS c),
                e.table_name, e.before);
        ELSE
            EXECUTE format('UPDATE %I t SET (%s) = (SELECT %s FROM jsonb_populate_record(NULL::%I, %L::jsonb) r) WHERE %s',
                e.table_name,
                (SELECT string_agg(format('%I', c), ', ') FROM unnest(columns) AS c WHERE c <> ALL (keys)),
                (SELECT string_agg(format('r.%I', c), ', ') FROM unnest(columns) AS c WHERE c <> ALL (keys)),
                e.table_name, e.before, key_match);
        END IF;
    END LOOP;
END $$;
