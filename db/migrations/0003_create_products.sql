-- Products: made by one company, possibly carried to others by acquisitions.
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    maker_id    bigint      NOT NULL REFERENCES companies (id),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    category    text        CHECK (length(category) BETWEEN 1 AND 100),
    description text        CHECK (length(description) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_maker_id_slug_key UNIQUE (maker_id, slug)
);
