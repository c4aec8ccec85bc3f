-- Imports now take their slugs from the API's own rules (Slugs.From, so 'Nestlé' is 'nestle' on both
-- paths, where slugify made 'nestl'); nothing calls slugify any more.
DROP FUNCTION slugify(text);
