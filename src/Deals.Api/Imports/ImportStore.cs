using Dapper;
using Deals.Api.Common;
using Npgsql;
using NpgsqlTypes;

namespace Deals.Api.Imports;

/// <summary>What one batch did.</summary>
public sealed record BatchOutcome(long Created, long Updated, long Unchanged, long CompaniesCreated, long ProductsCreated, List<Rejection> Rejections);

/// <summary>
/// Merges a batch of imported deals in a handful of set-based statements: binary COPY into a
/// staging table, companies matched (slug, normalised name, alias) or created, then deals matched
/// by buyer, target and an overlapping date (most precise dates first, so that '2008-09-04' is
/// placed before '2008-09' finds it), updated only where something changed, or created.
/// </summary>
public sealed class ImportStore
{
    private const string StagingSql = """
        CREATE TEMP TABLE IF NOT EXISTS import_rows (
            line bigint, buyer text, target text, buyer_key text, target_key text, buyer_slug text, target_slug text,
            announced_on date, announced_precision text, announced_until date, closed_on date, closed_precision text,
            status text, type text, price_amount numeric, price_currency text, products text[], product_slugs text[],
            buyer_country text, target_country text, source_url text, notes text, terms text, disposition text,
            buyer_external_id text, target_external_id text, buyer_id bigint, target_id bigint) ON COMMIT DROP;
        CREATE TEMP TABLE IF NOT EXISTS import_companies (
            key text PRIMARY KEY, name_key text, name text, slug text, country text, external_id text, id bigint) ON COMMIT DROP;
        CREATE TEMP TABLE IF NOT EXISTS import_pass (LIKE import_rows, deal_id bigint, outcome text) ON COMMIT DROP;
        CREATE TEMP TABLE IF NOT EXISTS import_outcomes (line bigint, outcome text, deal_id bigint) ON COMMIT DROP;
        CREATE INDEX IF NOT EXISTS import_outcomes_line ON import_outcomes (line);
        TRUNCATE import_rows, import_companies, import_pass, import_outcomes;
        """;

    private const string CopySql = """
        COPY import_rows (line, buyer, target, buyer_key, target_key, buyer_slug, target_slug, announced_on, announced_precision,
                          announced_until, closed_on, closed_precision, status, type, price_amount, price_currency, products, product_slugs,
                          buyer_country, target_country, source_url, notes, terms, disposition, buyer_external_id, target_external_id)
        FROM STDIN (FORMAT BINARY)
        """;

    // Each distinct company of the batch once: by its id in the import's registry when the row gives one, else by
    // its normalised name (ImportDeal.CompanyKey).
    private const string CompanyKeysSql = """
        INSERT INTO import_companies (key, name_key, name, slug, country, external_id)
        SELECT DISTINCT ON (key) key, name_key, name, slug, country, external_id
        FROM (SELECT coalesce('ext:' || buyer_external_id, buyer_key) AS key, buyer_key AS name_key, buyer AS name, buyer_slug AS slug,
                     buyer_country AS country, buyer_external_id AS external_id, line FROM import_rows
              UNION ALL
              SELECT coalesce('ext:' || target_external_id, target_key), target_key, target, target_slug, target_country,
                     target_external_id, line FROM import_rows) n
        ORDER BY key, country NULLS LAST, line;
        -- Planned for its real size: guessed, the match of new companies back to their rows took a nested loop over both.
        ANALYZE import_companies;
        """;

    // A company that holds the id in the registry is that company, whatever it is called now.
    private const string KnownIdsSql = """
        UPDATE import_companies n SET id = e.company_id
        FROM company_external_ids e
        WHERE n.external_id IS NOT NULL AND e.registry = @Registry AND e.external_id = n.external_id;
        """;

    // The rest are matched by exact slug, then normalised name, then alias: companies named with an id (@WithIds) first,
    // and only to a company that has no id in that registry yet (one that has another id there is another company),
    // then companies named without one, which may also find the companies just created for the first.
    private static readonly string MatchCompaniesSql = $"""
        UPDATE import_companies n SET id = c.id FROM companies c
        WHERE n.id IS NULL AND (n.external_id IS NOT NULL) = @WithIds AND c.slug = n.name
          AND NOT (@WithIds AND EXISTS (SELECT 1 FROM company_external_ids e WHERE e.company_id = c.id AND e.registry = @Registry));
        -- Statistics lag behind an import that fills an empty table: scans are off for the two lookups by name.
        SET LOCAL enable_seqscan = off;
        {ByNameKey("companies", "name", "id")}
        {ByNameKey("company_aliases", "alias", "company_id")}
        RESET enable_seqscan;
        -- Two new ids that found one company by its name are two companies: the first in key order takes it.
        UPDATE import_companies n SET id = NULL
        WHERE @WithIds AND n.external_id IS NOT NULL AND n.id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM company_external_ids e WHERE e.registry = @Registry AND e.external_id = n.external_id)
          AND EXISTS (SELECT 1 FROM import_companies o WHERE o.id = n.id AND o.external_id IS NOT NULL AND o.key < n.key);
        """;

    // Each name looks up its companies through the name_key index of the table: a join over all companies computed the
    // key of every company again for every batch (0.7 s a batch at 174,000 companies, where these lookups take 0.2 s).
    // The lowest id is min() over the lookup (OFFSET 0): as ORDER BY id LIMIT 1 it was planned as a walk of the primary
    // key until a name matched, which is every company for a new name.
    private static string ByNameKey(string table, string name, string companyId) => $"""
        UPDATE import_companies n SET id = m.company_id
        FROM import_companies i
        CROSS JOIN LATERAL (
            SELECT min(x.{companyId}) AS company_id FROM (
                SELECT t.{companyId} FROM {table} t
                WHERE name_key(t.{name}) = i.name_key
                  AND NOT (@WithIds AND EXISTS (SELECT 1 FROM company_external_ids e WHERE e.company_id = t.{companyId} AND e.registry = @Registry))
                OFFSET 0) x) m
        WHERE m.company_id IS NOT NULL AND i.id IS NULL AND (i.external_id IS NOT NULL) = @WithIds AND n.key = i.key;
        """;

    // Slugs made from names as the API makes them (Slugs.From: 'Nestlé' is 'nestle'); one already taken, shared by
    // two new companies ('Café' and 'Cafe', or two companies of one name with different ids), or none to make (a name
    // without Latin letters) gets a suffix from the key. Each new company is found again by its slug.
    private const string CreateCompaniesSql = """
        UPDATE import_companies n SET slug = f.slug
        FROM (SELECT key,
                     CASE WHEN slug = '' OR EXISTS (SELECT 1 FROM companies c WHERE c.slug = i.slug)
                               OR count(*) OVER (PARTITION BY slug) > 1
                          THEN rtrim(left(coalesce(nullif(slug, ''), 'company'), 190), '-') || '-' || left(md5(key), 8)
                          ELSE slug END AS slug
              FROM import_companies i
              WHERE id IS NULL AND (external_id IS NOT NULL) = @WithIds) f
        WHERE n.key = f.key;

        WITH made AS (
            INSERT INTO companies (slug, name, country)
            SELECT slug, name, country FROM import_companies
            WHERE id IS NULL AND (external_id IS NOT NULL) = @WithIds
            ON CONFLICT DO NOTHING
            RETURNING id, slug),
        matched AS (
            UPDATE import_companies n SET id = made.id FROM made
            WHERE n.id IS NULL AND (n.external_id IS NOT NULL) = @WithIds AND n.slug = made.slug)
        SELECT count(*) FROM made;
        """;

    // Each id is recorded on its company (one that already had it changes nothing).
    private const string RecordIdsSql = """
        INSERT INTO company_external_ids (company_id, registry, external_id)
        SELECT id, @Registry, external_id FROM import_companies WHERE external_id IS NOT NULL AND id IS NOT NULL
        ON CONFLICT DO NOTHING;
        """;

    private const string ResolveSql = """
        UPDATE import_rows r SET buyer_id = b.id, target_id = t.id
        FROM import_companies b, import_companies t
        WHERE b.key = coalesce('ext:' || r.buyer_external_id, r.buyer_key) AND t.key = coalesce('ext:' || r.target_external_id, r.target_key);
        DELETE FROM import_rows r WHERE r.buyer_id IS NULL OR r.target_id IS NULL OR r.buyer_id = r.target_id
        RETURNING r.line, r.target, (r.buyer_id = r.target_id) AS same;
        """;

    // One precision at a time, most precise first; within it, the last line of an exact duplicate wins.
    private const string PassSql = """
        TRUNCATE import_pass;
        INSERT INTO import_pass
        SELECT DISTINCT ON (buyer_id, target_id, announced_on) r.*, NULL::bigint, NULL::text
        FROM import_rows r WHERE r.announced_precision = @Precision
        ORDER BY buyer_id, target_id, announced_on, line DESC;
        ANALYZE import_pass (buyer_id, target_id, announced_on, line);

        -- Through the (buyer, target, date) key: with statistics behind a table the import is filling, this once took
        -- 14 s over 31 batches (0.6-1.0 s in the other runs of the same 269,549 deals). So the range on the key's date is
        -- bounded on both sides (partial_dates_overlap, migration 0029) and scans are off.
        SET LOCAL enable_seqscan = off;
        UPDATE import_pass p SET deal_id = (
            SELECT a.id FROM acquisitions a
            WHERE a.buyer_id = p.buyer_id AND a.target_id = p.target_id
              AND partial_dates_overlap(a.announced_on, a.announced_until, p.announced_on, p.announced_until)
            ORDER BY a.announced_precision DESC, a.id
            LIMIT 1);
        RESET enable_seqscan;

        WITH merged AS (
            SELECT a.id,
                   CASE WHEN p.announced_precision::date_precision > a.announced_precision THEN p.announced_on ELSE a.announced_on END AS announced_on,
                   greatest(a.announced_precision, p.announced_precision::date_precision) AS announced_precision,
                   CASE WHEN p.closed_on IS NOT NULL THEN p.closed_on ELSE a.closed_on END AS closed_on,
                   CASE WHEN p.closed_on IS NOT NULL THEN p.closed_precision::date_precision ELSE a.closed_precision END AS closed_precision,
                   coalesce(p.status, a.status) AS status,
                   coalesce(p.type, a.type) AS type,
                   CASE WHEN p.price_amount IS NOT NULL THEN p.price_amount ELSE a.price_amount END AS price_amount,
                   CASE WHEN p.price_amount IS NOT NULL THEN p.price_currency ELSE a.price_currency END AS price_currency,
                   coalesce(p.source_url, a.source_url) AS source_url,
                   coalesce(p.notes, a.notes) AS notes,
                   coalesce(p.terms, a.terms) AS terms,
                   coalesce(p.disposition, a.disposition) AS disposition
            FROM acquisitions a JOIN import_pass p ON p.deal_id = a.id),
        -- A row that would leave its deal closed before it was announced (the stored deal closed on 2008-03-01 and the
        -- row makes its announcement 2008-09-04, say) is refused; its deal stays as it was.
        checked AS (
            SELECT m.*, coalesce(m.closed_on < date_trunc(m.closed_precision::text, m.announced_on)::date, false) AS refused
            FROM merged m),
        changed AS (
            UPDATE acquisitions a
            SET announced_on = m.announced_on, announced_precision = m.announced_precision, closed_on = m.closed_on,
                closed_precision = m.closed_precision, status = m.status, type = m.type, price_amount = m.price_amount,
                price_currency = m.price_currency, source_url = m.source_url, notes = m.notes, terms = m.terms,
                disposition = m.disposition, updated_at = now()
            FROM checked m
            WHERE a.id = m.id AND NOT m.refused
              AND (a.announced_on, a.announced_precision, a.closed_on, a.closed_precision, a.status, a.type, a.price_amount,
                   a.price_currency, a.source_url, a.notes, a.terms, a.disposition)
                  IS DISTINCT FROM
                  (m.announced_on, m.announced_precision, m.closed_on, m.closed_precision, m.status, m.type, m.price_amount,
                   m.price_currency::char(3), m.source_url, m.notes, m.terms, m.disposition)
            RETURNING a.id)
        UPDATE import_pass p SET outcome = CASE WHEN p.deal_id IN (SELECT id FROM checked WHERE refused) THEN 'rejected'
                                                WHEN p.deal_id IN (SELECT id FROM changed) THEN 'updated' ELSE 'unchanged' END
        WHERE p.deal_id IS NOT NULL;

        WITH made AS (
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, closed_on, closed_precision,
                                      status, price_amount, price_currency, type, source_url, notes, terms, disposition)
            SELECT buyer_id, target_id, announced_on, announced_precision::date_precision, closed_on, closed_precision::date_precision,
                   coalesce(status, 'completed'), price_amount, price_currency, coalesce(type, 'acquisition'), source_url, notes,
                   terms, coalesce(disposition, 'subsidiary')
            FROM import_pass WHERE deal_id IS NULL
            RETURNING id, buyer_id, target_id, announced_on)
        UPDATE import_pass p SET deal_id = made.id, outcome = 'created'
        FROM made WHERE p.deal_id IS NULL AND p.buyer_id = made.buyer_id AND p.target_id = made.target_id AND p.announced_on = made.announced_on;

        INSERT INTO import_outcomes SELECT line, outcome, deal_id FROM import_pass;
        INSERT INTO import_outcomes
        SELECT r.line,
               -- A row superseded by a later one for the same deal changed something only if that deal changed now.
               CASE WHEN p.outcome = 'rejected' THEN 'rejected'
                    WHEN p.outcome = 'unchanged'
                         OR (r.closed_on, r.status, r.type, r.price_amount, r.price_currency, r.products, r.source_url, r.notes, r.terms, r.disposition)
                            IS NOT DISTINCT FROM (p.closed_on, p.status, p.type, p.price_amount, p.price_currency, p.products, p.source_url, p.notes,
                                                  p.terms, p.disposition)
                    THEN 'unchanged' ELSE 'updated' END,
               p.deal_id
        FROM import_rows r
        JOIN import_pass p ON p.buyer_id = r.buyer_id AND p.target_id = r.target_id AND p.announced_on = r.announced_on AND p.line <> r.line
        WHERE r.announced_precision = @Precision;
        """;

    // Products by name within the target, created when missing, and linked to the deal.
    private const string ProductsSql = """
        WITH wanted AS (
            SELECT DISTINCT ON (p.target_id, name_key(u.name)) p.target_id, u.name, u.slug
            FROM import_pass p, unnest(p.products, p.product_slugs) AS u (name, slug)
            WHERE p.outcome IS DISTINCT FROM 'rejected'
            ORDER BY p.target_id, name_key(u.name), u.name),
        made AS (
            INSERT INTO products (maker_id, slug, name)
            SELECT w.target_id,
                   CASE WHEN w.slug = '' OR EXISTS (SELECT 1 FROM products x WHERE x.maker_id = w.target_id AND x.slug = w.slug)
                             OR count(*) OVER (PARTITION BY w.target_id, w.slug) > 1
                        THEN rtrim(left(coalesce(nullif(w.slug, ''), 'product'), 190), '-') || '-' || left(md5(w.name), 8)
                        ELSE w.slug END,
                   w.name
            FROM wanted w
            WHERE NOT EXISTS (SELECT 1 FROM products x WHERE x.maker_id = w.target_id AND name_key(x.name) = name_key(w.name))
            ON CONFLICT DO NOTHING
            RETURNING id)
        SELECT count(*) FROM made;
        """;

    private const string LinksSql = """
        WITH linked AS (
            INSERT INTO acquisition_products (acquisition_id, product_id)
            SELECT DISTINCT p.deal_id, x.id
            FROM import_pass p
            CROSS JOIN LATERAL unnest(p.products) AS u (name)
            JOIN products x ON x.maker_id = p.target_id AND name_key(x.name) = name_key(u.name)
            WHERE p.outcome IS DISTINCT FROM 'rejected'
            ON CONFLICT DO NOTHING
            RETURNING acquisition_id)
        UPDATE import_outcomes o SET outcome = 'updated'
        FROM import_pass p
        WHERE o.line = p.line AND o.outcome = 'unchanged' AND p.deal_id IN (SELECT acquisition_id FROM linked);
        """;

    private const string CountSql = "SELECT outcome, count(*) FROM import_outcomes GROUP BY outcome";

    private const string RefusedSql = """
        SELECT o.line,
               CASE WHEN r.closed_on IS NOT NULL THEN 'closed_on' ELSE 'announced_on' END AS field,
               CASE WHEN r.closed_on IS NOT NULL THEN format_partial_date(r.closed_on, r.closed_precision::date_precision)
                    ELSE format_partial_date(r.announced_on, r.announced_precision::date_precision) END AS value,
               'Merged into the stored deal ' || a.id || ' (announced ' || format_partial_date(a.announced_on, a.announced_precision) ||
               coalesce(', closed ' || format_partial_date(a.closed_on, a.closed_precision), '') ||
               '), this row would put its closing date before its announcement date.' AS reason
        FROM import_outcomes o
        JOIN import_rows r ON r.line = o.line
        JOIN acquisitions a ON a.id = o.deal_id
        WHERE o.outcome = 'rejected'
        ORDER BY o.line
        """;

    /// <summary>Merges one batch in <paramref name="transaction"/>; <paramref name="registry"/> names the registry of the deals' external ids (null when the import names none).</summary>
    public async Task<BatchOutcome> MergeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ImportDeal> deals, string? registry, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(StagingSql, transaction: transaction, cancellationToken: cancellationToken));
        await using (var copy = await connection.BeginBinaryImportAsync(CopySql, cancellationToken))
        {
            foreach (var d in deals)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(d.Line, NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(d.Buyer, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(d.Target, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(ImportRules.Key(d.Buyer), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(ImportRules.Key(d.Target), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(Slugs.From(d.Buyer), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(Slugs.From(d.Target), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(d.Announced.Start, NpgsqlDbType.Date, cancellationToken);
                await copy.WriteAsync(d.Announced.PrecisionName, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(d.Announced.End, NpgsqlDbType.Date, cancellationToken);
                await WriteNullableAsync(copy, d.Closed?.Start, NpgsqlDbType.Date, cancellationToken);
                await WriteNullableAsync(copy, d.Closed?.PrecisionName, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.Status, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.Type, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.PriceAmount, NpgsqlDbType.Numeric, cancellationToken);
                await WriteNullableAsync(copy, d.PriceCurrency, NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(d.Products, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(Array.ConvertAll(d.Products, Slugs.From), NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.BuyerCountry, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.TargetCountry, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.SourceUrl, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.Notes, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.Terms, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.Disposition, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.BuyerExternalId, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, d.TargetExternalId, NpgsqlDbType.Text, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await connection.ExecuteAsync(new CommandDefinition(CompanyKeysSql, transaction: transaction, cancellationToken: cancellationToken));
        long companiesCreated = 0;
        var withIds = registry is not null && deals.Any(d => d.BuyerExternalId is not null || d.TargetExternalId is not null);
        if (withIds)
        {
            await connection.ExecuteAsync(new CommandDefinition(KnownIdsSql, new { Registry = registry }, transaction, cancellationToken: cancellationToken));
        }

        foreach (var ids in withIds ? new[] { true, false } : [false])
        {
            var parameters = new { Registry = registry ?? "", WithIds = ids };
            await connection.ExecuteAsync(new CommandDefinition(MatchCompaniesSql, parameters, transaction, cancellationToken: cancellationToken));
            companiesCreated += await connection.ExecuteScalarAsync<long>(new CommandDefinition(CreateCompaniesSql, parameters, transaction, cancellationToken: cancellationToken));
            if (ids)
            {
                await connection.ExecuteAsync(new CommandDefinition(RecordIdsSql, parameters, transaction, cancellationToken: cancellationToken));
            }
        }

        var rejections = (await connection.QueryAsync<(long Line, string Target, bool? Same)>(new CommandDefinition(ResolveSql, transaction: transaction, cancellationToken: cancellationToken)))
            .Select(r => new Rejection(r.Line, "target", r.Target, r.Same == true
                ? "The buyer and the target are the same company (by name, slug or alias)."
                : "The company could not be matched or created."))
            .ToList();

        long productsCreated = 0;
        foreach (var precision in new[] { "day", "month", "year" })
        {
            await connection.ExecuteAsync(new CommandDefinition(PassSql, new { Precision = precision }, transaction, cancellationToken: cancellationToken));
            productsCreated += await connection.ExecuteScalarAsync<long>(new CommandDefinition(ProductsSql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(LinksSql, transaction: transaction, cancellationToken: cancellationToken));
        }

        rejections.AddRange(await connection.QueryAsync<Rejection>(new CommandDefinition(RefusedSql, transaction: transaction, cancellationToken: cancellationToken)));
        var counts = (await connection.QueryAsync<(string Outcome, long Count)>(new CommandDefinition(CountSql, transaction: transaction, cancellationToken: cancellationToken)))
            .ToDictionary(c => c.Outcome, c => c.Count);
        return new BatchOutcome(counts.GetValueOrDefault("created"), counts.GetValueOrDefault("updated"), counts.GetValueOrDefault("unchanged"),
            companiesCreated, productsCreated, rejections);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, type, cancellationToken);
}
