using System.Text.Json;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Companies;

namespace Deals.Api.Stats;

/// <summary>Counts and sums over the filtered deals, in one statement each.</summary>
public sealed class StatsStore(Db db)
{
    // The filters come from AcquisitionQuery: constant, whitelisted SQL with parameters.
    private static string AcquirersSql(AcquisitionQuery query) => $"""
        WITH matching AS MATERIALIZED (
            SELECT a.buyer_id, a.price_currency, a.price_amount FROM acquisitions a {query.Where}
        ),
        top AS (
            SELECT buyer_id, count(*) AS deals, count(*) FILTER (WHERE price_amount IS NULL) AS undisclosed
            FROM matching GROUP BY buyer_id ORDER BY deals DESC, buyer_id LIMIT @Take
        ),
        spend AS (
            SELECT m.buyer_id, m.price_currency, sum(m.price_amount) AS amount, count(*) AS deals
            FROM matching m JOIN top USING (buyer_id)
            WHERE m.price_amount IS NOT NULL
            GROUP BY m.buyer_id, m.price_currency
        )
        SELECT c.id, c.slug, c.name, top.deals, top.undisclosed,
               (SELECT jsonb_agg(jsonb_build_object('currency', s.price_currency, 'amount', s.amount, 'deals', s.deals) ORDER BY s.amount DESC)
                FROM spend s WHERE s.buyer_id = top.buyer_id)::text AS spend
        FROM top JOIN companies c ON c.id = top.buyer_id
        ORDER BY top.deals DESC, top.buyer_id
        """;

    private static string YearsSql(AcquisitionQuery query) => $"""
        WITH matching AS MATERIALIZED (
            SELECT extract(year FROM a.announced_on)::int AS year, a.price_currency, a.price_amount FROM acquisitions a {query.Where}
        ),
        years AS (
            SELECT year, count(*) AS deals, count(*) FILTER (WHERE price_amount IS NULL) AS undisclosed FROM matching GROUP BY year
        ),
        spend AS (
            SELECT year, price_currency, sum(price_amount) AS amount, count(*) AS deals
            FROM matching WHERE price_amount IS NOT NULL GROUP BY year, price_currency
        )
        SELECT y.year, y.deals, y.undisclosed,
               (SELECT jsonb_agg(jsonb_build_object('currency', s.price_currency, 'amount', s.amount, 'deals', s.deals) ORDER BY s.amount DESC)
                FROM spend s WHERE s.year = y.year)::text AS spend
        FROM years y
        ORDER BY y.year
        """;

    public async Task<List<AcquirerStats>> AcquirersAsync(AcquisitionQuery query, int take, CancellationToken cancellationToken)
    {
        query.Parameters.Add("Take", take);
        var rows = await db.QueryAsync<Row>(new CommandDefinition(AcquirersSql(query), query.Parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AcquirerStats(new CompanySummary(r.Id, r.Slug, r.Name), r.Deals, r.Undisclosed, r.ParseSpend()))];
    }

    public async Task<List<YearStats>> YearsAsync(AcquisitionQuery query, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<Row>(new CommandDefinition(YearsSql(query), query.Parameters, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new YearStats(r.Year, r.Deals, r.Undisclosed, r.ParseSpend()))];
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public int Year { get; init; }
        public long Deals { get; init; }
        public long Undisclosed { get; init; }
        public string? Spend { get; init; }

        public List<Spend> ParseSpend() => Spend is null
            ? []
            : [.. JsonSerializer.Deserialize<List<Spend>>(Spend, Json.Stored)!.Select(s => s with { Amount = Json.Normalize(s.Amount) })];
    }
}
