using Dapper;
using Deals.Api.Common;
using Npgsql;

namespace Deals.Api.Products;

public sealed record ProductWrite(string Slug, string Name, long MakerId, string? Category, string? Description);

public sealed class ProductStore(Db db)
{
    /// <summary>The owner is derived, never stored: the buyer of the latest completed deal that carried the product, else its maker.</summary>
    internal const string OwnerSql = """
        COALESCE((SELECT a.buyer_id
                  FROM acquisition_products ap
                  JOIN acquisitions a ON a.id = ap.acquisition_id
                  WHERE ap.product_id = p.id AND a.status = 'completed'
                  ORDER BY COALESCE(a.closed_on, a.announced_on) DESC, a.id DESC
                  LIMIT 1), p.maker_id)
        """;

    private const string Columns = $"p.id, p.slug, p.name, p.maker_id, {OwnerSql} AS owner_id, p.category, p.description, p.created_at, p.updated_at";

    // The GET of one product, as many at once as requests ask together (LookupBatches).
    private const string ByIdsSql = $"SELECT {Columns} FROM products p WHERE p.id = ANY (@Keys)";
    private static readonly KeyLookup<long, ProductRow> ById = KeyLookup.Mapped<long, ProductRow>("product-by-id", ByIdsSql, row => row.Id);

    private const string ListSql = $"SELECT {Columns} FROM products p WHERE p.id > @After ORDER BY p.id LIMIT @Take";

    // A product's country is its maker's.
    internal const string ListByCountrySql = $"""
        SELECT {Columns}
        FROM products p JOIN companies m ON m.id = p.maker_id
        WHERE m.country = @Country::char(2) AND p.id > @After
        ORDER BY p.id
        LIMIT @Take
        """;

    // Typo-tolerant name search (pg_trgm), best match first; the cursor carries score and id. The score is computed once
    // a match (OFFSET 0 keeps it a column): inlined, the cursor's condition and the sort computed it twice more
    // ("engine 120" among 30,000 "Engine N" on 1M deals: 133-158 against 188-258 ms, same rows); owners for the page only.
    internal const string SearchSql = $"""
        SELECT {Columns}, p.score
        FROM (SELECT p.*, similarity(lower(p.name), @Q) AS score
              FROM products p
              WHERE ((@Fuzzy AND lower(p.name) % @Q) OR lower(p.name) LIKE @Like)
                AND (@Country::text IS NULL OR p.maker_id IN (SELECT m.id FROM companies m WHERE m.country = @Country::char(2)))
              OFFSET 0) p
        WHERE p.score < @AfterScore OR (p.score = @AfterScore AND p.id > @After)
        ORDER BY p.score DESC, p.id
        LIMIT @Take
        """;

    // Candidates are the products it made and those carried to it by a deal, read through the maker and buyer indexes
    // and put in id order first (OFFSET 0 keeps PostgreSQL from deriving every candidate's owner before sorting); of
    // those carried to it, the ones it still owns. Filtering products in id order instead read all of them for a
    // company with fewer than a page (1M deals: 49-92 ms, now 0.1-1 ms; the busiest buyer 80-134, now 55-67 ms;
    // through the API, random companies 32-35 requests/s at 8 connections, now 2,229-2,429).
    internal const string ByCompanySql = $"""
        SELECT * FROM (
            SELECT {Columns}
            FROM (SELECT c.id
                  FROM (SELECT m.id FROM products m WHERE m.maker_id = @CompanyId AND m.id > @After
                        UNION
                        SELECT ap.product_id FROM acquisitions a JOIN acquisition_products ap ON ap.acquisition_id = a.id
                        WHERE a.buyer_id = @CompanyId AND ap.product_id > @After) c
                  ORDER BY c.id
                  OFFSET 0) c
            JOIN products p ON p.id = c.id
        ) x
        WHERE x.maker_id = @CompanyId OR x.owner_id = @CompanyId
        ORDER BY x.id
        LIMIT @Take
        """;

    // One statement writes the row and returns it as the API shows it, owner included.
    // The maker first, then every completed deal that carried the product, in the order they took effect.
    internal const string OwnersSql = """
        SELECT c.id, c.slug, c.name, NULL::bigint AS deal_id, NULL AS since, NULL AS announced_on, NULL AS closed_on,
               NULL::numeric AS price_amount, NULL AS price_currency, NULL AS disposition, 0 AS position, NULL::date AS effective
        FROM products p JOIN companies c ON c.id = p.maker_id
        WHERE p.id = @Id
        UNION ALL
        SELECT c.id, c.slug, c.name, a.id,
               format_partial_date(coalesce(a.closed_on, a.announced_on), coalesce(a.closed_precision, a.announced_precision)),
               format_partial_date(a.announced_on, a.announced_precision), format_partial_date(a.closed_on, a.closed_precision),
               a.price_amount, a.price_currency, a.disposition, 1, coalesce(a.closed_on, a.announced_on)
        FROM acquisition_products ap
        JOIN acquisitions a ON a.id = ap.acquisition_id
        JOIN companies c ON c.id = a.buyer_id
        WHERE ap.product_id = @Id AND a.status = 'completed'
        ORDER BY position, effective, deal_id
        """;

    private const string InsertSql = $"""
        INSERT INTO products AS p (slug, name, maker_id, category, description)
        VALUES (@Slug, @Name, @MakerId, @Category, @Description)
        RETURNING {Columns}
        """;

    private const string UpdateSql = $"""
        UPDATE products AS p
        SET slug = @Slug, name = @Name, maker_id = @MakerId, category = @Category, description = @Description, updated_at = now()
        WHERE p.id = @Id AND (@Expected::timestamptz[] IS NULL OR p.updated_at = ANY (@Expected))
        RETURNING {Columns}
        """;

    private const string DeleteSql = "DELETE FROM products WHERE id = @Id AND (@Expected::timestamptz[] IS NULL OR updated_at = ANY (@Expected))";

    public async Task<ProductResponse?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var row = await db.FindAsync(ById, id, cancellationToken);
        return row?.ToResponse();
    }

    /// <summary>Products by id, of makers in <paramref name="country"/> (alpha-2) when given.</summary>
    public async Task<List<ProductResponse>> ListAsync(string? country, long after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<ProductRow>(new CommandDefinition(country is null ? ListSql : ListByCountrySql,
            new { Country = country, After = after, Take = take }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToResponse())];
    }

    /// <summary>Products whose name resembles <paramref name="q"/> (of makers in <paramref name="country"/>, when given), best match first, with their scores.</summary>
    public async Task<List<(ProductResponse Product, float Score)>> SearchAsync(
        string q, string? country, (float Score, long Id) after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryPlannedAsync<ProductRow>(new CommandDefinition(SearchSql, Search.Parameters(q, country, after, take), cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.ToResponse(), r.Score))];
    }

    /// <summary>The product's owners over time, oldest first; empty when the product does not exist.</summary>
    public async Task<List<Ownership>> OwnersAsync(long id, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<OwnerRow>(new CommandDefinition(OwnersSql, new { Id = id }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToOwnership())];
    }

    public async Task<List<ProductResponse>> ListByCompanyAsync(long companyId, long after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<ProductRow>(new CommandDefinition(ByCompanySql,
            new { CompanyId = companyId, After = after, Take = take }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToResponse())];
    }

    public async Task<ProductResponse> CreateAsync(ProductWrite product, CancellationToken cancellationToken) =>
        (await db.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(InsertSql, product, cancellationToken: cancellationToken)))!.ToResponse();

    /// <summary>Replaces every field; null when the product does not exist.</summary>
    public async Task<ProductResponse?> ReplaceAsync(long id, ProductWrite product, DateTime[]? expected, CancellationToken cancellationToken)
    {
        var args = new DynamicParameters(product);
        args.Add("Id", id);
        args.Add("Expected", expected);
        return (await db.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(UpdateSql, args, cancellationToken: cancellationToken)))?.ToResponse();
    }

    /// <summary>Deletes the row if it is still at one of the <paramref name="expected"/> versions (any, when null).</summary>
    public async Task<bool> DeleteAsync(long id, DateTime[]? expected, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id, Expected = expected }, cancellationToken: cancellationToken)) > 0;

    private sealed class OwnerRow
    {
        public long Id { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public long? DealId { get; init; }
        public string? Since { get; init; }
        public string? AnnouncedOn { get; init; }
        public string? ClosedOn { get; init; }
        public decimal? PriceAmount { get; init; }
        public string? PriceCurrency { get; init; }
        public string? Disposition { get; init; }

        public Ownership ToOwnership() => new(
            new Companies.CompanySummary(Id, Slug, Name),
            Date(Since),
            DealId is { } deal
                ? new Companies.DealSummary(deal, Date(AnnouncedOn)!.Value, Date(ClosedOn),
                    PriceAmount is { } amount && PriceCurrency is { } currency ? new Acquisitions.Money(Json.Normalize(amount), currency) : null,
                    Disposition is null ? null : KebabEnum<Acquisitions.Disposition>.Parse(Disposition))
                : null);

        private static PartialDate? Date(string? text) => text is not null && PartialDate.TryParse(text, out var d) ? d : null;
    }

    private sealed class ProductRow
    {
        public long Id { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public long MakerId { get; init; }
        public long OwnerId { get; init; }
        public string? Category { get; init; }
        public string? Description { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public float Score { get; init; }

        public ProductResponse ToResponse() => new(Id, Slug, Name, MakerId, OwnerId, Category, Description,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}
