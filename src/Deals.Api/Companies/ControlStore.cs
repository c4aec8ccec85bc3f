using System.Data.Common;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Common;

namespace Deals.Api.Companies;

/// <summary>Chains of control and acquisition trees: recursive queries with a guard against cycles in bad data.</summary>
public sealed class ControlStore(Db db)
{
    public const int MaxTreeEdges = 5000;

    // The company and the deal that reached it, read by position in ReadEdge: keep the two in the same order.
    private const string EdgeColumns = """
        c.id, c.slug, c.name, d.id AS deal_id, d.announced_on, d.announced_precision::text, d.closed_on, d.closed_precision::text,
        d.price_amount, d.price_currency, d.disposition
        """;

    // Upward: the latest completed deal (by closing, else announcement, date) in which the company was
    // acquired and stayed a subsidiary or division, as of the date; then the same for the buyer.
    // The path array stops a cycle; the depth bound stops anything else. The first row of a chain is the company
    // itself (found by id or slug in the same statement, no deal); none means there is no such company.
    // Concurrent requests share a statement (LookupBatches): each chain starts from one (company, date) key and carries
    // it, so a statement answers several; pgbench on 100 chains of the 1M-deal database (4 clients) served 7,000-7,800
    // statements of one chain a second, and 8,400-9,800 chains a second in statements of eight.
    private static readonly KeyLookup<(long Id, DateOnly AsOf), Chain<long>> ParentsById =
        new("parents-by-id", ParentsByIdSql, Bind, ReadChainsAsync<long>, chain => (chain.Key, chain.AsOf));

    private static readonly KeyLookup<(string Slug, DateOnly AsOf), Chain<string>> ParentsBySlug =
        new("parents-by-slug", ParentsBySlugSql, Bind, ReadChainsAsync<string>, chain => (chain.Key, chain.AsOf));

    /// <summary>The parents statement for <paramref name="size"/> chains by company id (the one-chain statement is what a lone request sends).</summary>
    internal static string ParentsByIdSql(int size) => ParentsSql(size, "bigint", "id");

    internal static string ParentsBySlugSql(int size) => ParentsSql(size, "text", "slug");

    // Each step carries the deal it took (as d, for EdgeColumns) rather than looking it up again by id once the chain
    // is known: pgbench on 100 chains of the 1M-deal database, 5,615-6,552 against 5,439-5,944 tx/s in four
    // interleaved runs each. A key asked twice in one statement starts one chain (DISTINCT). Each company is looked up
    // by id (OFFSET 0, as in the tree): for a statement of several chains the planner guessed a chain long enough to
    // hash-join every company. A step is one entry of acquisitions_control_idx (migration 0030), whose predicate, order
    // and included columns are this subquery's: change one and the other with it (QueryPlanTests).
    private static string ParentsSql(int size, string keyType, string keyColumn) => $"""
        WITH RECURSIVE start AS (
            SELECT {(size > 1 ? "DISTINCT " : "")}* FROM (VALUES {string.Join(", ", Enumerable.Range(0, size).Select(k => $"(@K{k}::{keyType}, @D{k}::date)"))}) v (key, as_of)
        ),
        chain AS (
            SELECT start.key, start.as_of, c.id AS company_id, 0 AS depth, ARRAY[c.id] AS path, NULL::bigint AS id,
                   NULL::date AS announced_on, NULL::date_precision AS announced_precision, NULL::date AS closed_on,
                   NULL::date_precision AS closed_precision, NULL::numeric AS price_amount, NULL::char(3) AS price_currency,
                   NULL::text AS disposition
            FROM start JOIN companies c ON c.{keyColumn} = start.key
            UNION ALL
            SELECT chain.key, chain.as_of, step.buyer_id, chain.depth + 1, chain.path || step.buyer_id, step.id, step.announced_on,
                   step.announced_precision, step.closed_on, step.closed_precision, step.price_amount, step.price_currency, step.disposition
            FROM chain
            CROSS JOIN LATERAL (
                SELECT a.id, a.buyer_id, a.announced_on, a.announced_precision, a.closed_on, a.closed_precision, a.price_amount,
                       a.price_currency, a.disposition
                FROM acquisitions a
                WHERE a.target_id = chain.company_id
                  AND a.status = 'completed'
                  AND coalesce(a.disposition, 'subsidiary') IN ('subsidiary', 'division')
                  AND coalesce(a.closed_on, a.announced_on) <= chain.as_of
                ORDER BY coalesce(a.closed_on, a.announced_on) DESC, a.id DESC
                LIMIT 1) step
            WHERE step.buyer_id <> ALL (chain.path) AND chain.depth < 100
        )
        SELECT {EdgeColumns}, d.key, d.as_of
        FROM chain d
        CROSS JOIN LATERAL (SELECT c.id, c.slug, c.name FROM companies c WHERE c.id = d.company_id OFFSET 0) c
        ORDER BY d.key, d.as_of, d.depth
        """;

    private static void Bind<TKey>(DynamicParameters parameters, int k, (TKey Key, DateOnly AsOf) key)
    {
        parameters.Add($"K{k}", key.Key);
        parameters.Add($"D{k}", key.AsOf);
    }

    /// <summary>A chain as one statement reads it: where it starts (the key asked for), as of when, the company and its parents.</summary>
    private sealed record Chain<TKey>(TKey Key, DateOnly AsOf, CompanySummary Company, List<Parent> Parents);

    /// <summary>The statement's chains, one per key found: its rows come grouped by key and date, each chain in depth order.</summary>
    private static async Task<List<Chain<TKey>>> ReadChainsAsync<TKey>(DbConnection connection, CommandDefinition statement)
    {
        var rows = await Db.ReadAsync(connection, statement, r => (Edge: ReadEdge(r), Key: r.GetFieldValue<TKey>(11), AsOf: r.GetFieldValue<DateOnly>(12)));
        var chains = new List<Chain<TKey>>();
        foreach (var (edge, key, asOf) in rows)
        {
            if (edge.Deal is null)
            {
                chains.Add(new Chain<TKey>(key, asOf, edge.Company, []));
            }
            else
            {
                chains[^1].Parents.Add(new Parent(edge.Company, edge.Deal));
            }
        }

        return chains;
    }

    // Downward, breadth first, completed deals only. No ORDER BY: the LIMIT stops the recursion early.
    // Each step looks up the node's deals through the buyer index (OFFSET 0 keeps the planner from
    // turning the lookups into a scan of every deal, which a large tree's estimate would tempt it to).
    // Each edge carries its deal's columns (as d, for EdgeColumns) instead of reading the deal again by id
    // afterwards: on the 1M-deal database, half the buffers (21,000 against 42,000 for the busiest buyer at depth 3)
    // and pgbench on five large trees 60-67 against 40-43 tx/s in three interleaved runs each.
    internal const string TreeSql = $"""
        WITH RECURSIVE tree AS (
            SELECT a.id, a.buyer_id AS parent_id, a.target_id AS company_id, 1 AS depth, ARRAY[a.buyer_id, a.target_id] AS path,
                   a.announced_on, a.announced_precision, a.closed_on, a.closed_precision, a.price_amount, a.price_currency, a.disposition
            FROM acquisitions a
            WHERE a.buyer_id = @Id AND a.status = 'completed'
            UNION ALL
            SELECT next.id, next.buyer_id, next.target_id, tree.depth + 1, tree.path || next.target_id,
                   next.announced_on, next.announced_precision, next.closed_on, next.closed_precision, next.price_amount, next.price_currency,
                   next.disposition
            FROM tree
            CROSS JOIN LATERAL (
                SELECT a.id, a.buyer_id, a.target_id, a.announced_on, a.announced_precision, a.closed_on, a.closed_precision, a.price_amount,
                       a.price_currency, a.disposition
                FROM acquisitions a
                WHERE a.buyer_id = tree.company_id AND a.status = 'completed'
                OFFSET 0) next
            WHERE tree.depth < @Depth AND next.target_id <> ALL (tree.path)
        ),
        d AS (SELECT * FROM tree LIMIT @Limit)
        SELECT {EdgeColumns}, d.parent_id, d.depth
        FROM d
        CROSS JOIN LATERAL (SELECT c.id, c.slug, c.name FROM companies c WHERE c.id = d.company_id OFFSET 0) c
        """;

    /// <summary>The company and its chain of parents, nearest first, in one statement; null when there is no such company.</summary>
    public async Task<(CompanySummary Company, List<Parent> Parents)?> ParentsAsync(CompanyKey key, DateOnly asOf, CancellationToken cancellationToken)
    {
        if (!key.CanExist)
        {
            return null;
        }

        return key.Id is { } id
            ? Found(await db.FindAsync(ParentsById, (id, asOf), cancellationToken))
            : Found(await db.FindAsync(ParentsBySlug, (key.Slug!, asOf), cancellationToken));

        static (CompanySummary Company, List<Parent> Parents)? Found<TKey>(Chain<TKey>? chain) =>
            chain is null ? null : (chain.Company, chain.Parents);
    }

    /// <summary>The tree's edges, up to the size limit (Truncated when there were more).</summary>
    public async Task<(List<(long ParentId, TreeNode Node)> Edges, bool Truncated)> TreeAsync(long companyId, int depth, CancellationToken cancellationToken)
    {
        var rows = await db.ReadAsync(new CommandDefinition(TreeSql,
            new { Id = companyId, Depth = depth, Limit = MaxTreeEdges + 1 }, cancellationToken: cancellationToken),
            r => (Edge: ReadEdge(r), ParentId: r.GetInt64(11), Depth: r.GetInt32(12)));
        var truncated = rows.Count > MaxTreeEdges;
        return ([.. rows.Take(MaxTreeEdges).OrderBy(r => r.Depth).ThenBy(r => r.Edge.Deal!.AnnouncedOn).ThenBy(r => r.Edge.Deal!.Id)
            .Select(r => (r.ParentId, new TreeNode(r.Edge.Company, r.Edge.Deal!, [])))], truncated);
    }

    /// <summary>A row of <see cref="EdgeColumns"/>: the company, and the deal that reached it (none for where a chain starts).</summary>
    private static (CompanySummary Company, DealSummary? Deal) ReadEdge(DbDataReader r) =>
        (new CompanySummary(r.GetInt64(0), r.GetString(1), r.GetString(2)),
         r.IsDBNull(3) ? null : new DealSummary(
             r.GetInt64(3),
             PartialDate.FromStored(r, 4)!.Value,
             PartialDate.FromStored(r, 6),
             r.IsDBNull(8) ? null : new Money(Json.Normalize(r.GetDecimal(8)), r.GetString(9)),
             r.IsDBNull(10) ? null : KebabEnum<Acquisitions.Disposition>.Parse(r.GetString(10))));
}
