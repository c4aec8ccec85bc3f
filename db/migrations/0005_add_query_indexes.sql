-- Querying at scale: every list filter and sort is served by an index, and keyset pages cost the
-- same at any depth.

-- The last day of the announcement's period, so that a date range can match by overlap
-- ('2008' overlaps September 2008) with both bounds on indexed columns.
ALTER TABLE acquisitions ADD COLUMN announced_until date GENERATED ALWAYS AS (
    CASE announced_precision
        WHEN 'year' THEN (announced_on + interval '1 year' - interval '1 day')::date
        WHEN 'month' THEN (announced_on + interval '1 month' - interval '1 day')::date
        ELSE announced_on
    END) STORED;

-- Undisclosed prices sort below every disclosed one.
CREATE FUNCTION price_sort_key(amount numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(amount, -1);

-- Sort keys, each with the id as tie-breaker (read forwards or backwards).
CREATE INDEX acquisitions_announced_on_idx ON acquisitions (announced_on, id);
CREATE INDEX acquisitions_price_idx ON acquisitions (price_sort_key(price_amount), id);
CREATE INDEX acquisitions_updated_at_idx ON acquisitions (updated_at, id);
CREATE INDEX acquisitions_created_at_idx ON acquisitions (created_at, id);

-- The common filters, in the shape of the sorts they come with.
DROP INDEX acquisitions_buyer_id_idx;
DROP INDEX acquisitions_target_id_idx;
CREATE INDEX acquisitions_buyer_id_idx ON acquisitions (buyer_id, id);
CREATE INDEX acquisitions_buyer_announced_idx ON acquisitions (buyer_id, announced_on, id);
CREATE INDEX acquisitions_target_id_idx ON acquisitions (target_id, id);
CREATE INDEX acquisitions_target_announced_idx ON acquisitions (target_id, announced_on, id);
CREATE INDEX acquisitions_currency_price_idx ON acquisitions (price_currency, price_amount, id) WHERE price_amount IS NOT NULL;

-- Typo-tolerant search over names and aliases (pg_trgm).
CREATE INDEX companies_name_trgm_idx ON companies USING gin (lower(name) gin_trgm_ops);
CREATE INDEX company_aliases_alias_trgm_idx ON company_aliases USING gin (lower(alias) gin_trgm_ops);
CREATE INDEX products_name_trgm_idx ON products USING gin (lower(name) gin_trgm_ops);
CREATE INDEX companies_country_idx ON companies (country, id);

-- Buyer and target are often chosen together (a few very active buyers): tell the planner.
CREATE STATISTICS acquisitions_buyer_target_stats (dependencies, ndistinct) ON buyer_id, target_id FROM acquisitions;

-- As in the API: a deal whose disposition is not given left the target a subsidiary.
ALTER TABLE acquisitions ALTER COLUMN disposition SET DEFAULT 'subsidiary';

-- Statistics per buyer read only this index (an index-only scan, grouped in index order).
CREATE INDEX acquisitions_buyer_stats_idx ON acquisitions (buyer_id) INCLUDE (price_amount);

-- A few buyers make most deals: sample enough to count the many small ones right, so that grouping
-- by buyer is planned for its real size.
ALTER TABLE acquisitions ALTER COLUMN buyer_id SET STATISTICS 1000;
ALTER TABLE acquisitions ALTER COLUMN target_id SET STATISTICS 1000;
