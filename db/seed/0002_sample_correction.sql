-- Two things real data has, so that the sample shows them: a later correction (the audit log
-- keeps the note as first recorded, and `POST /v1/audit/59/undo` puts it back), and a duplicate
-- company, as a second source names it (`POST /v1/companies/jboss/merge` with
-- `{"duplicate": "jboss-inc"}` folds it into JBoss).
UPDATE acquisitions a
SET notes = 'Price never disclosed; reported at about USD 50 million.', updated_at = now()
FROM companies b, companies t
WHERE b.id = a.buyer_id AND b.slug = 'google' AND t.id = a.target_id AND t.slug = 'android';

INSERT INTO companies (slug, name, country, website)
VALUES ('jboss-inc', 'JBoss Inc.', 'US', 'https://www.jboss.org');
