using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Products;
using Npgsql;

namespace Deals.Api.Acquisitions;

/// <summary>A deal ready to store, with defaults applied and the currency upper-cased.</summary>
public sealed record AcquisitionWrite(
    long BuyerId, long TargetId, DateTime AnnouncedOn, string AnnouncedPrecision, DateTime? ClosedOn, string? ClosedPrecision,
    string Status, decimal? PriceAmount, string? PriceCurrency, string Type, string? Terms, string? Disposition,
    long[] ProductIds, string? SourceUrl, string? Notes);

public sealed class AcquisitionStore(Db db)
{
    public enum Side
    {
        Buyer,
        Target,
    }

    // Read by position in ReadDeal: keep the two in the same order. A deal's products, probed for every deal of a page
    // though one in four has any, were 40% of PostgreSQL's time on a buyer's list; pgbench on that list (1M deals, 4
    // clients): jsonb_agg(jsonb_build_object(...) ORDER BY p.id) 3,061-3,349 tx/s; json_agg, which skips building and
    // printing the binary form, 3,523-3,755; and with the order taken from the link table's primary key (acquisition_id,
    // product_id) in a subquery rather than a sort inside the aggregate (PostgreSQL 15 sets one up for every deal), a
    // median of 3,654 against 3,200 in five interleaved runs each. The API parses the text either way.
    private const string Columns = """
        a.id, a.buyer_id, b.slug AS buyer_slug, b.name AS buyer_name, a.target_id, t.slug AS target_slug, t.name AS target_name,
        a.announced_on, a.announced_precision::text, a.closed_on, a.closed_precision::text,
        a.status, a.price_amount, a.price_currency, a.type, a.terms, a.disposition, a.source_url, a.notes, a.created_at, a.updated_at,
        (SELECT json_agg(x) FROM (SELECT p.id, p.slug, p.name
                                  FROM acquisition_products ap JOIN products p ON p.id = ap.product_id
                                  WHERE ap.acquisition_id = a.id ORDER BY p.id) x)::text AS products
        """;

    private const string From = """
        FROM acquisitions a
        JOIN companies b ON b.id = a.buyer_id
        JOIN companies t ON t.id = a.target_id
        """;

    /// <summary>Deals by id: for the GET of one deal, as many at once as requests ask together (<see cref="LookupBatches"/>), and a write's read-back.</summary>
    internal const string ByIdsSql = $"SELECT {Columns} {From} WHERE a.id = ANY (@Keys)";

    private static readonly KeyLookup<long, AcquisitionResponse> ById =
        new("acquisition-by-id", ByIdsSql, (connection, statement) => Db.ReadAsync(connection, statement, ReadDeal), deal => deal.Id);

    internal const string ByBuyerSql = $"SELECT {Columns} {From} WHERE a.buyer_id = @CompanyId AND a.id > @After ORDER BY a.id LIMIT @Take";
    internal const string ByTargetSql = $"SELECT {Columns} {From} WHERE a.target_id = @CompanyId AND a.id > @After ORDER BY a.id LIMIT @Take";

    // A product may change hands when the target made it, or an earlier deal carried it to the target.
    private const string ForeignProductsSql = """
        SELECT u.id
        FROM unnest(@ProductIds) AS u (id)
        WHERE NOT EXISTS (
            SELECT 1 FROM products p
            WHERE p.id = u.id
              AND (p.maker_id = @TargetId
                   OR EXISTS (SELECT 1 FROM acquisition_products ap JOIN acquisitions x ON x.id = ap.acquisition_id
                              WHERE ap.product_id = p.id AND x.buyer_id = @TargetId)))
        ORDER BY u.id
        """;

    private const string InsertSql = """
        WITH a AS (
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, closed_on, closed_precision,
                                      status, price_amount, price_currency, type, terms, disposition, source_url, notes)
            VALUES (@BuyerId, @TargetId, @AnnouncedOn::date, @AnnouncedPrecision::date_precision, @ClosedOn::date,
                    @ClosedPrecision::date_precision, @Status, @PriceAmount, @PriceCurrency, @Type, @Terms, @Disposition,
                    @SourceUrl, @Notes)
            RETURNING id),
        p AS (
            INSERT INTO acquisition_products (acquisition_id, product_id) SELECT a.id, u.id FROM a, unnest(@ProductIds) AS u (id))
        SELECT id FROM a
        """;

    private const string UpdateSql = """
        UPDATE acquisitions
        SET buyer_id = @BuyerId, target_id = @TargetId, announced_on = @AnnouncedOn::date,
            announced_precision = @AnnouncedPrecision::date_precision, closed_on = @ClosedOn::date,
            closed_precision = @ClosedPrecision::date_precision, status = @Status, price_amount = @PriceAmount,
            price_currency = @PriceCurrency, type = @Type, terms = @Terms, disposition = @Disposition,
            source_url = @SourceUrl, notes = @Notes, updated_at = now()
        WHERE id = @Id AND (@Expected::timestamptz[] IS NULL OR updated_at = ANY (@Expected))
        RETURNING id
        """;

    private const string ReplaceProductsSql = """
        DELETE FROM acquisition_products WHERE acquisition_id = @Id AND NOT (product_id = ANY (@ProductIds));
        INSERT INTO acquisition_products (acquisition_id, product_id)
        SELECT @Id, u.id FROM unnest(@ProductIds) AS u (id)
        ON CONFLICT DO NOTHING;
        """;

    private const string DeleteSql = "DELETE FROM acquisitions WHERE id = @Id AND (@Expected::timestamptz[] IS NULL OR updated_at = ANY (@Expected))";

    public Task<AcquisitionResponse?> GetAsync(long id, CancellationToken cancellationToken) => db.FindAsync(ById, id, cancellationToken);

    /// <summary>A page of the filtered, sorted list: <paramref name="take"/> rows after the query's cursor.</summary>
    public async Task<List<AcquisitionResponse>> ListAsync(AcquisitionQuery query, int take, CancellationToken cancellationToken)
    {
        var sql = ListSql(query, take);
        var command = new CommandDefinition(sql, query.Parameters, cancellationToken: cancellationToken);
        return query.DependsOnValues ? await db.ReadPlannedAsync(command, ReadDeal, Db.PagePlanSql) : await db.ReadAsync(command, ReadDeal);
    }

    /// <summary>
    /// The list's SQL: constant fragments, the query's whitelisted clauses and the page size, never user text.
    /// <para>The page is taken first and then joined to its companies. Joined before the LIMIT, the planner sized each
    /// company lookup's cache (Memoize) for every deal the filters let through (950,000 for a deep page), and building
    /// and freeing those caches took 2.5 ms of a page that reads in 0.1 ms. The page size is written into the SQL: as a
    /// parameter, a cached plan knew neither it nor the page's size, and joined the companies worse (a deep page at
    /// 1,597 tx/s against 3,102). On 1M deals, pgbench with 4 clients, as the API runs them: a deep page 483 → 3,102 tx/s,
    /// the first page of the unfiltered list 641–652 → 3,530–3,621, the filtered list 649–667 → 714–731.</para>
    /// <para>A list of one buyer's (or target's) deals joins that company as a constant, looked up once rather than once a
    /// deal, as the joins before the LIMIT did: a buyer's list 3,823–4,205 tx/s before, 3,381–3,683 with the page first
    /// and a lookup per deal, 3,850–3,860 with the constant.</para>
    /// </summary>
    internal static string ListSql(AcquisitionQuery query, int take) =>
        $"SELECT {Columns} FROM ({query.PageSql(take)}) a " +
        $"JOIN companies b ON b.id = {(query.BuyerFixed ? "@BuyerId" : "a.buyer_id")} " +
        $"JOIN companies t ON t.id = {(query.TargetFixed ? "@TargetId" : "a.target_id")} {query.OrderByClause}";

    public Task<List<AcquisitionResponse>> ListByCompanyAsync(long companyId, Side side, long after, int take, CancellationToken cancellationToken) =>
        db.ReadAsync(new CommandDefinition(side == Side.Buyer ? ByBuyerSql : ByTargetSql,
            new { CompanyId = companyId, After = after, Take = take }, cancellationToken: cancellationToken), ReadDeal);

    /// <summary>Records the deal and reads it back in one transaction, or returns the products it may not carry and writes nothing.</summary>
    public async Task<(AcquisitionResponse? Created, long[] ForeignProducts)> CreateAsync(AcquisitionWrite deal, CancellationToken cancellationToken)
    {
        return await db.WithConnectionAsync<(AcquisitionResponse? Created, long[] ForeignProducts)>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var foreign = await ForeignProductsAsync(connection, transaction, deal, cancellationToken);
            if (foreign.Length > 0)
            {
                return (null, foreign);
            }

            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(InsertSql, deal, transaction, cancellationToken: cancellationToken));
            var created = await ReadAsync(connection, transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (created, []);
        }, cancellationToken);
    }

    /// <summary>Replaces every field and the products carried, and reads the result back in one transaction; Replaced is null when the deal does not exist.</summary>
    public async Task<(AcquisitionResponse? Replaced, long[] ForeignProducts)> ReplaceAsync(long id, AcquisitionWrite deal, DateTime[]? expected, CancellationToken cancellationToken)
    {
        return await db.WithConnectionAsync<(AcquisitionResponse? Replaced, long[] ForeignProducts)>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var foreign = await ForeignProductsAsync(connection, transaction, deal, cancellationToken);
            if (foreign.Length > 0)
            {
                return (null, foreign);
            }

            var args = new DynamicParameters(deal);
            args.Add("Id", id);
            args.Add("Expected", expected);
            if (await connection.ExecuteScalarAsync<long?>(new CommandDefinition(UpdateSql, args, transaction, cancellationToken: cancellationToken)) is null)
            {
                return (null, []);
            }

            await connection.ExecuteAsync(new CommandDefinition(ReplaceProductsSql, args, transaction, cancellationToken: cancellationToken));
            var replaced = await ReadAsync(connection, transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (replaced, []);
        }, cancellationToken);
    }

    private static async Task<AcquisitionResponse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken cancellationToken) =>
        (await ById.Read(connection, ById.Statement([id], transaction, cancellationToken))).Single();

    /// <summary>Deletes the row if it is still at one of the <paramref name="expected"/> versions (any, when null).</summary>
    public async Task<bool> DeleteAsync(long id, DateTime[]? expected, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id, Expected = expected }, cancellationToken: cancellationToken)) > 0;

    private static async Task<long[]> ForeignProductsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AcquisitionWrite deal, CancellationToken cancellationToken) =>
        deal.ProductIds.Length == 0
            ? []
            : [.. await connection.QueryAsync<long>(new CommandDefinition(ForeignProductsSql,
                new { deal.ProductIds, deal.TargetId }, transaction, cancellationToken: cancellationToken))];

    /// <summary>A row of <see cref="Columns"/>, read by position with typed getters.</summary>
    private static AcquisitionResponse ReadDeal(DbDataReader r)
    {
        var buyerId = r.GetInt64(1);
        var targetId = r.GetInt64(4);
        var products = r.IsDBNull(21) ? [] : JsonSerializer.Deserialize<List<ProductSummary>>(r.GetString(21), Json.Stored)!;
        var productIds = new long[products.Count];
        for (var i = 0; i < productIds.Length; i++)
        {
            productIds[i] = products[i].Id;
        }

        return new AcquisitionResponse(
            r.GetInt64(0), buyerId, targetId,
            new CompanySummary(buyerId, r.GetString(2), r.GetString(3)),
            new CompanySummary(targetId, r.GetString(5), r.GetString(6)),
            PartialDate.FromStored(r, 7)!.Value,
            PartialDate.FromStored(r, 9),
            KebabEnum<AcquisitionStatus>.Parse(r.GetString(11)),
            r.IsDBNull(12) ? null : new Money(Json.Normalize(r.GetDecimal(12)), r.GetString(13)),
            KebabEnum<DealType>.Parse(r.GetString(14)),
            r.IsDBNull(15) ? null : KebabEnum<DealTerms>.Parse(r.GetString(15)),
            r.IsDBNull(16) ? null : KebabEnum<Disposition>.Parse(r.GetString(16)),
            productIds,
            products,
            r.IsDBNull(17) ? null : r.GetString(17),
            r.IsDBNull(18) ? null : r.GetString(18),
            new DateTimeOffset(r.GetFieldValue<DateTime>(19)),
            new DateTimeOffset(r.GetFieldValue<DateTime>(20)));
    }
}
