-- Import matches companies by a normalised name: case, spaces and punctuation ignored, so that
-- "Red Hat", "RedHat" and "red-hat" are one company. Names with no letter or digit keep their
-- lower-cased form rather than collapsing to an empty key.
CREATE FUNCTION name_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN coalesce(nullif(lower(regexp_replace(name, '[^[:alnum:]]+', '', 'g')), ''), lower(name));

-- The slug an imported name gets: lower-case ASCII letters and digits joined by single dashes.
CREATE FUNCTION slugify(name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN left(trim(both '-' FROM regexp_replace(lower(name), '[^a-z0-9]+', '-', 'g')), 180);

CREATE INDEX companies_name_key_idx ON companies (name_key(name));
CREATE INDEX company_aliases_name_key_idx ON company_aliases (name_key(alias));
CREATE INDEX products_maker_name_key_idx ON products (maker_id, name_key(name));
