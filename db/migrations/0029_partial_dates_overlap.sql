-- One definition of dates that contain one another, for the overlap check of migration 0026 (which wrote the
-- comparison out in both of its branches), the import's deal matching, a company merge's twins and the generator.
-- It is a migration of its own because 0026 had already run on databases when the function was added: a migration
-- that has run is never run again, so a change to its file would never reach them.
--
-- Whether two partial-date periods (first day, last day) overlap, which for calendar years, months and days
-- means that one contains the other. Also bounded below (a period lasts a year at most, so one that overlaps
-- began less than 366 days before) so that both ends of a date key are an index range. PostgreSQL inlines it,
-- so the index conditions are derived as if written out.
CREATE OR REPLACE FUNCTION partial_dates_overlap(first_on date, first_until date, second_on date, second_until date) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN first_on <= second_until AND first_on > second_on - 366 AND first_until >= second_on;

-- The check of migration 0026, the same but for the comparison, now the function's.
CREATE OR REPLACE FUNCTION acquisitions_refuse_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clash record;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT n.announced_on, n.announced_precision, a.id AS other_id, a.announced_on AS other_on, a.announced_precision AS other_precision
        INTO clash
        FROM new_rows n
        JOIN acquisitions a ON a.buyer_id = n.buyer_id AND a.target_id = n.target_id AND a.id <> n.id
                           AND partial_dates_overlap(a.announced_on, a.announced_until, n.announced_on, n.announced_until)
        LIMIT 1;
    ELSE
        SELECT n.announced_on, n.announced_precision, a.id AS other_id, a.announced_on AS other_on, a.announced_precision AS other_precision
        INTO clash
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        JOIN acquisitions a ON a.buyer_id = n.buyer_id AND a.target_id = n.target_id AND a.id <> n.id
                           AND partial_dates_overlap(a.announced_on, a.announced_until, n.announced_on, n.announced_until)
        WHERE (o.buyer_id, o.target_id, o.announced_on, o.announced_precision)
              IS DISTINCT FROM (n.buyer_id, n.target_id, n.announced_on, n.announced_precision)
        LIMIT 1;
    END IF;

    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'exclusion_violation',
            CONSTRAINT = 'acquisitions_announced_overlap',
            MESSAGE = format('acquisition %s of the same buyer and target was announced %s, which overlaps %s; dates that contain '
                             'one another are one deal: update acquisition %s instead, or give both exact days',
                             clash.other_id, format_partial_date(clash.other_on, clash.other_precision),
                             format_partial_date(clash.announced_on, clash.announced_precision), clash.other_id);
    END IF;

    RETURN NULL;
END $$;
