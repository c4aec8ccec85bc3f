-- Companies: the buyers and targets of deals. The slug is the stable public key.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE companies (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug         text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 200),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    country      char(2)     REFERENCES countries (alpha2),
    website      text        CHECK (website ~* '^https?://[^\s/?#]+' AND length(website) <= 2000),
    description  text        CHECK (length(description) <= 2000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT companies_slug_key UNIQUE (slug)
);

-- Other names a company is known by ("Redhat", "Red Hat, Inc."), used by search and import matching.
CREATE TABLE company_aliases (
    company_id bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    alias      text   NOT NULL CHECK (length(alias) BETWEEN 1 AND 200 AND alias = btrim(alias)),
    PRIMARY KEY (company_id, alias)
);

-- Ids in other registries ({"crunchbase": "red-hat"}); one company per id in each registry.
CREATE TABLE company_external_ids (
    company_id  bigint NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    registry    text   NOT NULL CHECK (registry ~ '^[a-z0-9][a-z0-9_.-]{0,49}$'),
    external_id text   NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    PRIMARY KEY (company_id, registry),
    CONSTRAINT company_external_ids_registry_external_id_key UNIQUE (registry, external_id)
);
