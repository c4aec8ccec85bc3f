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

    private const string ByIdSql = $"SELECT {Columns} FROM products p WHERE p.id = @Id";
    private const string ListSql = $"SELECT {Columns} FROM products p WHERE p.id > @After ORDER BY p.id LIMIT @Take";

    // Candidates are the products it made and those carried to it by a deal; of the latter, those it still owns.
    private const string ByCompanySql = $"""
        SELECT * FROM (
            SELECT {Columns}
            FROM products p
            WHERE p.id > @After
              AND (p.maker_id = @CompanyId
                   OR p.id IN (SELECT ap.product_id FROM acquisition_products ap
                               JOIN acquisitions a ON a.id = ap.acquisition_id
                               WHERE a.buyer_id = @CompanyId))
        ) x
        WHERE x.maker_id = @CompanyId OR x.owner_id = @CompanyId
        ORDER BY x.id
        LIMIT @Take
        """;

    // One statement writes the row and returns it as the API shows it, owner included.
    private const string InsertSql = $"""
        INSERT INTO products AS p (slug, name, maker_id, category, description)
        VALUES (@Slug, @Name, @MakerId, @Category, @Description)
        RETURNING {Columns}
        """;

    private const string UpdateSql = $"""
        UPDATE products AS p
        SET slug = @Slug, name = @Name, maker_id = @MakerId, category = @Category, description = @Description, updated_at = now()
        WHERE p.id = @Id
        RETURNING {Columns}
        """;

    private const string DeleteSql = "DELETE FROM products WHERE id = @Id";

    public async Task<ProductResponse?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var row = await db.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(ByIdSql, new { Id = id }, cancellationToken: cancellationToken));
        return row?.ToResponse();
    }

    public async Task<List<ProductResponse>> ListAsync(long after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<ProductRow>(new CommandDefinition(ListSql, new { After = after, Take = take }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToResponse())];
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
    public async Task<ProductResponse?> ReplaceAsync(long id, ProductWrite product, CancellationToken cancellationToken)
    {
        var args = new DynamicParameters(product);
        args.Add("Id", id);
        return (await db.QuerySingleOrDefaultAsync<ProductRow>(new CommandDefinition(UpdateSql, args, cancellationToken: cancellationToken)))?.ToResponse();
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id }, cancellationToken: cancellationToken)) > 0;

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

        public ProductResponse ToResponse() => new(Id, Slug, Name, MakerId, OwnerId, Category, Description,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}
