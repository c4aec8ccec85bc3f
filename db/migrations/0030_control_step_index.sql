-- One step of a chain of control (GET /v1/companies/{idOrSlug}/parents): the latest completed deal that made the
-- company a subsidiary or division, closed (or announced) by the date asked for. With only the target index,
-- PostgreSQL read each of the company's deals from the table, filtered them and sorted what was left, for every
-- step of every chain: about 4 buffers and a sort a step. This index holds exactly the deals a step may take, in
-- the order it takes them, with every column the step returns, so a step reads the first matching entry and
-- nothing else (Index Only Scan, no sort). On the 1M-deal database, pgbench on the one-chain statement (100
-- chains, 4 clients, two interleaved runs): 12,087-12,118 against 7,262-8,329 tx/s. It covers the 64% of deals
-- that are completed subsidiaries or divisions and costs 57 MB there; inserting 100,000 deals into the full
-- schema took 5.6-5.8 s against 5.2-5.6 s without it.
CREATE INDEX acquisitions_control_idx ON acquisitions (target_id, (coalesce(closed_on, announced_on)) DESC, id DESC)
    INCLUDE (buyer_id, announced_on, announced_precision, closed_on, closed_precision, price_amount, price_currency, disposition)
    WHERE status = 'completed' AND coalesce(disposition, 'subsidiary') IN ('subsidiary', 'division');
