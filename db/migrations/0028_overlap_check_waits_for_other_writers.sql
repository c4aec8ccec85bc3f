-- Two writers storing deals of one buyer and target at overlapping dates at the same moment both passed the
-- check of migration 0026: neither could see the other's row before it committed, and both committed. Now,
-- before that check, the target company of every row it will check is locked (FOR NO KEY UPDATE, in id order,
-- so that two statements never wait for each other in a circle): the second writer waits for the first to end
-- and then sees its deal, a 409 as for deals written one after the other. This is the lock of a company's
-- ordinary update: foreign-key checks (FOR KEY SHARE) on the company are not held up by it, so only writes
-- that check deals of the same target, or change that company, wait for one another. A row lock lives in the
-- row, not in PostgreSQL's lock table, so an import batch may lock thousands of companies.
--
-- Triggers of one event fire in the alphabetical order of their names: acquisitions_lock_targets_* before
-- acquisitions_refuse_overlap_*. The check reads with a snapshot taken after the lock was granted.
CREATE FUNCTION acquisitions_lock_targets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM companies c WHERE c.id IN (SELECT n.target_id FROM new_rows n) ORDER BY c.id FOR NO KEY UPDATE;
    ELSE
        -- The rows the check looks at: those whose buyer, target or announcement date changed.
        PERFORM 1 FROM companies c
        WHERE c.id IN (SELECT n.target_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                       WHERE (o.buyer_id, o.target_id, o.announced_on, o.announced_precision)
                             IS DISTINCT FROM (n.buyer_id, n.target_id, n.announced_on, n.announced_precision))
        ORDER BY c.id FOR NO KEY UPDATE;
    END IF;

    RETURN NULL;
END $$;

CREATE TRIGGER acquisitions_lock_targets_insert AFTER INSERT ON acquisitions
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION acquisitions_lock_targets();

CREATE TRIGGER acquisitions_lock_targets_update AFTER UPDATE ON acquisitions
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION acquisitions_lock_targets();
