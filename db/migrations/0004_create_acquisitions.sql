-- Acquisitions: who bought whom, when, for how much, and which products changed hands.
-- Partial dates are stored as the first day of the period they name plus its precision,
-- so '2008-09' is ('2008-09-01', 'month') and comes back as '2008-09'.
CREATE TYPE date_precision AS ENUM ('year', 'month', 'day');

CREATE TABLE acquisitions (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id            bigint         NOT NULL REFERENCES companies (id),
    target_id           bigint         NOT NULL REFERENCES companies (id),
    announced_on        date           NOT NULL,
    announced_precision date_precision NOT NULL,
    closed_on           date,
    closed_precision    date_precision,
    status              text           NOT NULL DEFAULT 'completed'
                        CHECK (status IN ('announced', 'pending', 'completed', 'terminated')),
    price_amount        numeric(17, 2) CHECK (price_amount > 0 AND price_amount < 1e15),
    price_currency      char(3)        REFERENCES currencies (code),
    type                text           NOT NULL DEFAULT 'acquisition'
                        CHECK (type IN ('acquisition', 'merger', 'acquihire', 'asset-purchase', 'majority-stake')),
    terms               text           CHECK (terms IN ('cash', 'stock', 'cash-and-stock')),
    disposition         text           CHECK (disposition IN ('subsidiary', 'division', 'merged', 'product-only')),
    source_url          text           CHECK (source_url ~* '^https?://[^\s/?#]+' AND length(source_url) <= 2000),
    notes               text           CHECK (length(notes) <= 4000),
    created_at          timestamptz    NOT NULL DEFAULT now(),
    updated_at          timestamptz    NOT NULL DEFAULT now(),
    CONSTRAINT acquisitions_buyer_differs_from_target CHECK (buyer_id <> target_id),
    CONSTRAINT acquisitions_price_complete CHECK ((price_amount IS NULL) = (price_currency IS NULL)),
    CONSTRAINT acquisitions_announced_in_range CHECK (announced_on >= DATE '1800-01-01'),
    CONSTRAINT acquisitions_announced_aligned CHECK (
        announced_on = date_trunc(announced_precision::text, announced_on)::date),
    CONSTRAINT acquisitions_closed_complete CHECK ((closed_on IS NULL) = (closed_precision IS NULL)),
    CONSTRAINT acquisitions_closed_aligned CHECK (
        closed_on IS NULL OR closed_on = date_trunc(closed_precision::text, closed_on)::date),
    -- A coarser closing date may share the announcement's period: '2008' closes a '2008-09-04' deal.
    CONSTRAINT acquisitions_closed_not_before_announced CHECK (
        closed_on IS NULL OR closed_on >= date_trunc(closed_precision::text, announced_on)::date),
    CONSTRAINT acquisitions_buyer_id_target_id_announced_on_key UNIQUE (buyer_id, target_id, announced_on)
);

CREATE INDEX acquisitions_target_id_idx ON acquisitions (target_id, id);
CREATE INDEX acquisitions_buyer_id_idx ON acquisitions (buyer_id, id);

CREATE TABLE acquisition_products (
    acquisition_id bigint NOT NULL REFERENCES acquisitions (id) ON DELETE CASCADE,
    product_id     bigint NOT NULL REFERENCES products (id),
    PRIMARY KEY (acquisition_id, product_id)
);

CREATE INDEX acquisition_products_product_id_idx ON acquisition_products (product_id, acquisition_id);
CREATE INDEX products_maker_id_idx ON products (maker_id, id);

-- The text form of a partial date: exactly as precise as it was given.
CREATE FUNCTION format_partial_date(d date, p date_precision) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE p
    WHEN 'year'  THEN to_char(d, 'YYYY')
    WHEN 'month' THEN to_char(d, 'YYYY-MM')
    ELSE to_char(d, 'YYYY-MM-DD')
END;
