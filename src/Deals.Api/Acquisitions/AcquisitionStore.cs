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

    private const string Columns = """
        a.id, a.buyer_id, b.slug AS buyer_slug, b.name AS buyer_name, a.target_id, t.slug AS target_slug, t.name AS target_name,
        format_partial_date(a.announced_on, a.announced_precision) AS announced_on,
        format_partial_date(a.closed_on, a.closed_precision) AS closed_on,
        a.status, a.price_amount, a.price_currency, a.type, a.terms, a.disposition, a.source_url, a.notes, a.created_at, a.updated_at,
        (SELECT jsonb_agg(jsonb_build_object('id', p.id, 'slug', p.slug, 'name', p.name) ORDER BY p.id)
         FROM acquisition_products ap JOIN products p ON p.id = ap.product_id
         WHERE ap.acquisition_id = a.id)::text AS products
        """;

    private const string From = """
        FROM acquisitions a
        JOIN companies b ON b.id = a.buyer_id
        JOIN companies t ON t.id = a.target_id
        """;

    internal const string ByIdSql = $"SELECT {Columns} {From} WHERE a.id = @Id";
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
        WHERE id = @Id AND (@Expected::timestamptz IS NULL OR updated_at = @Expected)
        RETURNING id
        """;

    private const string ReplaceProductsSql = """
        DELETE FROM acquisition_products WHERE acquisition_id = @Id AND NOT (product_id = ANY (@ProductIds));
        INSERT INTO acquisition_products (acquisition_id, product_id)
        SELECT @Id, u.id FROM unnest(@ProductIds) AS u (id)
        ON CONFLICT DO NOTHING;
        """;

    private const string DeleteSql = "DELETE FROM acquisitions WHERE id = @Id AND (@Expected::timestamptz IS NULL OR updated_at = @Expected)";

    public async Task<AcquisitionResponse?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var row = await db.QuerySingleOrDefaultAsync<AcquisitionRow>(new CommandDefinition(ByIdSql, new { Id = id }, cancellationToken: cancellationToken));
        return row?.ToResponse();
    }

    /// <summary>A page of the filtered, sorted list: <paramref name="take"/> rows after the query's cursor.</summary>
    public async Task<List<AcquisitionResponse>> ListAsync(AcquisitionQuery query, int take, CancellationToken cancellationToken)
    {
        query.Parameters.Add("Take", take);
        var sql = ListSql(query);
        var command = new CommandDefinition(sql, query.Parameters, cancellationToken: cancellationToken);
        var rows = query.DependsOnValues ? await db.QueryPlannedAsync<AcquisitionRow>(command) : await db.QueryAsync<AcquisitionRow>(command);
        return [.. rows.Select(r => r.ToResponse())];
    }

    /// <summary>The list's SQL: constant fragments and the query's whitelisted clauses, never user text.</summary>
    internal static string ListSql(AcquisitionQuery query) => $"SELECT {Columns} {From} {query.Where} {query.OrderByClause} LIMIT @Take";

    public async Task<List<AcquisitionResponse>> ListByCompanyAsync(long companyId, Side side, long after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<AcquisitionRow>(new CommandDefinition(side == Side.Buyer ? ByBuyerSql : ByTargetSql,
            new { CompanyId = companyId, After = after, Take = take }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToResponse())];
    }

    /// <summary>Records the deal and reads it back in one transaction, or returns the products it may not carry and writes nothing.</summary>
    public async Task<(AcquisitionResponse? Created, long[] ForeignProducts)> CreateAsync(AcquisitionWrite deal, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
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
    }

    /// <summary>Replaces every field and the products carried, and reads the result back in one transaction; Replaced is null when the deal does not exist.</summary>
    public async Task<(AcquisitionResponse? Replaced, long[] ForeignProducts)> ReplaceAsync(long id, AcquisitionWrite deal, DateTime? expected, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
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
    }

    private static async Task<AcquisitionResponse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken cancellationToken) =>
        (await connection.QuerySingleAsync<AcquisitionRow>(new CommandDefinition(ByIdSql, new { Id = id }, transaction, cancellationToken: cancellationToken))).ToResponse();

    /// <summary>Deletes the row if it is still at the <paramref name="expected"/> version (any, when null).</summary>
    public async Task<bool> DeleteAsync(long id, DateTime? expected, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id, Expected = expected }, cancellationToken: cancellationToken)) > 0;

    private static async Task<long[]> ForeignProductsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AcquisitionWrite deal, CancellationToken cancellationToken) =>
        deal.ProductIds.Length == 0
            ? []
            : [.. await connection.QueryAsync<long>(new CommandDefinition(ForeignProductsSql,
                new { deal.ProductIds, deal.TargetId }, transaction, cancellationToken: cancellationToken))];

    private sealed class AcquisitionRow
    {
        public long Id { get; init; }
        public long BuyerId { get; init; }
        public string BuyerSlug { get; init; } = "";
        public string BuyerName { get; init; } = "";
        public long TargetId { get; init; }
        public string TargetSlug { get; init; } = "";
        public string TargetName { get; init; } = "";
        public string AnnouncedOn { get; init; } = "";
        public string? ClosedOn { get; init; }
        public string Status { get; init; } = "";
        public decimal? PriceAmount { get; init; }
        public string? PriceCurrency { get; init; }
        public string Type { get; init; } = "";
        public string? Terms { get; init; }
        public string? Disposition { get; init; }
        public string? SourceUrl { get; init; }
        public string? Notes { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public string? Products { get; init; }

        public AcquisitionResponse ToResponse()
        {
            var products = Products is null ? [] : JsonSerializer.Deserialize<List<ProductSummary>>(Products, Json.Stored)!;
            return new AcquisitionResponse(
                Id, BuyerId, TargetId,
                new CompanySummary(BuyerId, BuyerSlug, BuyerName),
                new CompanySummary(TargetId, TargetSlug, TargetName),
                Parse(AnnouncedOn),
                ClosedOn is null ? null : Parse(ClosedOn),
                KebabEnum<AcquisitionStatus>.Parse(Status),
                PriceAmount is { } amount && PriceCurrency is { } currency ? new Money(Json.Normalize(amount), currency) : null,
                KebabEnum<DealType>.Parse(Type),
                Terms is null ? null : KebabEnum<DealTerms>.Parse(Terms),
                Disposition is null ? null : KebabEnum<Acquisitions.Disposition>.Parse(Disposition),
                [.. products.Select(p => p.Id)],
                products,
                SourceUrl, Notes,
                new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
                new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
        }

        private static PartialDate Parse(string text) =>
            PartialDate.TryParse(text, out var d) ? d : throw new InvalidOperationException($"Stored date '{text}' is not a partial date.");
    }
}
