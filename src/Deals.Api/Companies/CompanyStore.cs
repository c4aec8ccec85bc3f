using System.Text.Json;
using Dapper;
using Deals.Api.Common;
using Npgsql;

namespace Deals.Api.Companies;

/// <summary>A company ready to store: trimmed, slugged, with the country as alpha-2.</summary>
public sealed record CompanyWrite(
    string Slug, string Name, string[] Aliases, string[] Registries, string[] ExternalIds,
    string? Country, string? Website, string? Description);

public sealed class CompanyStore(Db db)
{
    private const string Columns = """
        c.id, c.slug, c.name, c.country, c.website, c.description, c.created_at, c.updated_at,
        ARRAY(SELECT a.alias FROM company_aliases a WHERE a.company_id = c.id ORDER BY a.alias) AS aliases,
        (SELECT jsonb_object_agg(e.registry, e.external_id) FROM company_external_ids e WHERE e.company_id = c.id)::text AS external_ids
        """;

    // The GET of one company, as many at once as requests ask together (LookupBatches); by id, also a write's read-back.
    internal const string ByIdsSql = $"SELECT {Columns} FROM companies c WHERE c.id = ANY (@Keys)";
    internal const string BySlugsSql = $"SELECT {Columns} FROM companies c WHERE c.slug = ANY (@Keys)";

    private static readonly KeyLookup<long, CompanyRow> ById = KeyLookup.Mapped<long, CompanyRow>("company-by-id", ByIdsSql, row => row.Id);
    private static readonly KeyLookup<string, CompanyRow> BySlug = KeyLookup.Mapped<string, CompanyRow>("company-by-slug", BySlugsSql, row => row.Slug);

    private const string ListSql = $"SELECT {Columns} FROM companies c WHERE c.id > @After ORDER BY c.id LIMIT @Take";
    internal const string ListByCountrySql = $"SELECT {Columns} FROM companies c WHERE c.country = @Country::char(2) AND c.id > @After ORDER BY c.id LIMIT @Take";

    // Typo-tolerant: trigram similarity (pg_trgm) or a plain substring, over names and aliases alike;
    // a company scores its best match. Best first, then by id; the cursor carries score and id. The page is taken before
    // the companies are read: a text most names contain (q=a) read 110,000 of them for a page of 20.
    internal const string SearchSql = $"""
        WITH matches AS (
            SELECT c.id, similarity(lower(c.name), @Q) AS score
            FROM companies c
            WHERE (@Fuzzy AND lower(c.name) % @Q) OR lower(c.name) LIKE @Like
            UNION ALL
            SELECT a.company_id, similarity(lower(a.alias), @Q)
            FROM company_aliases a
            WHERE (@Fuzzy AND lower(a.alias) % @Q) OR lower(a.alias) LIKE @Like
        ),
        ranked AS (
            SELECT id, max(score) AS score FROM matches GROUP BY id
        )
        SELECT {Columns}, r.score
        FROM (SELECT r.*
              FROM ranked r
              WHERE (@Country::text IS NULL OR r.id IN (SELECT m.id FROM companies m WHERE m.country = @Country::char(2)))
                AND (r.score < @AfterScore OR (r.score = @AfterScore AND r.id > @After))
              ORDER BY r.score DESC, r.id
              LIMIT @Take) r
        JOIN companies c ON c.id = r.id
        ORDER BY r.score DESC, c.id
        """;
    private const string IdBySlugSql = "SELECT id FROM companies WHERE slug = @Slug";
    private const string IdExistsSql = "SELECT id FROM companies WHERE id = @Id";
    internal const string IdsNamedLikeSql = "SELECT id FROM companies WHERE lower(name) LIKE @Like LIMIT @Take";

    private const string InsertSql = """
        WITH c AS (
            INSERT INTO companies (slug, name, country, website, description)
            VALUES (@Slug, @Name, @Country, @Website, @Description)
            RETURNING id),
        a AS (
            INSERT INTO company_aliases (company_id, alias) SELECT c.id, u.alias FROM c, unnest(@Aliases) AS u (alias)),
        e AS (
            INSERT INTO company_external_ids (company_id, registry, external_id)
            SELECT c.id, u.registry, u.external_id FROM c, unnest(@Registries, @ExternalIds) AS u (registry, external_id))
        SELECT id FROM c
        """;

    private const string UpdateSql = """
        UPDATE companies
        SET slug = @Slug, name = @Name, country = @Country, website = @Website, description = @Description, updated_at = now()
        WHERE id = @Id AND (@Expected::timestamptz[] IS NULL OR updated_at = ANY (@Expected))
        RETURNING id
        """;

    private const string ReplaceChildrenSql = """
        DELETE FROM company_aliases WHERE company_id = @Id AND NOT (alias = ANY (@Aliases));
        INSERT INTO company_aliases (company_id, alias) SELECT @Id, u.alias FROM unnest(@Aliases) AS u (alias) ON CONFLICT DO NOTHING;
        DELETE FROM company_external_ids WHERE company_id = @Id;
        INSERT INTO company_external_ids (company_id, registry, external_id)
        SELECT @Id, u.registry, u.external_id FROM unnest(@Registries, @ExternalIds) AS u (registry, external_id);
        """;

    private const string DeleteSql = "DELETE FROM companies WHERE id = @Id AND (@Expected::timestamptz[] IS NULL OR updated_at = ANY (@Expected))";

    public async Task<CompanyResponse?> GetAsync(CompanyKey key, CancellationToken cancellationToken)
    {
        if (!key.CanExist)
        {
            return null;
        }

        var row = key.Id is { } id ? await db.FindAsync(ById, id, cancellationToken) : await db.FindAsync(BySlug, key.Slug!, cancellationToken);
        return row?.ToResponse();
    }

    /// <summary>The id a key refers to, or null when no such company exists.</summary>
    public Task<long?> FindIdAsync(CompanyKey key, CancellationToken cancellationToken) =>
        !key.CanExist ? Task.FromResult<long?>(null) : db.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
            key.Id is null ? IdBySlugSql : IdExistsSql, new { key.Id, key.Slug }, cancellationToken: cancellationToken));

    /// <summary>
    /// The ids of the companies whose name contains <paramref name="text"/> (case-insensitive), or null when more
    /// than <paramref name="max"/> do.
    /// </summary>
    public async Task<long[]?> IdsNamedLikeAsync(string text, int max, CancellationToken cancellationToken)
    {
        var ids = (await db.QueryPlannedAsync<long>(new CommandDefinition(IdsNamedLikeSql,
            new { Like = Search.ContainsPattern(text), Take = max + 1 }, cancellationToken: cancellationToken))).ToArray();
        return ids.Length > max ? null : ids;
    }

    public async Task<List<CompanyResponse>> ListAsync(string? country, long after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<CompanyRow>(new CommandDefinition(country is null ? ListSql : ListByCountrySql,
            new { Country = country, After = after, Take = take }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToResponse())];
    }

    /// <summary>Companies whose name or an alias resembles <paramref name="q"/>, best match first, with their scores.</summary>
    public async Task<List<(CompanyResponse Company, float Score)>> SearchAsync(
        string q, string? country, (float Score, long Id) after, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryPlannedAsync<CompanyRow>(new CommandDefinition(SearchSql, Search.Parameters(q, country, after, take), cancellationToken: cancellationToken));
        return [.. rows.Select(r => (r.ToResponse(), r.Score))];
    }

    /// <summary>Creates the company and reads it back in one transaction, so the answer never reports a write that did not happen (or the reverse).</summary>
    public async Task<CompanyResponse> CreateAsync(CompanyWrite company, CancellationToken cancellationToken)
    {
        return await db.WithConnectionAsync<CompanyResponse>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(InsertSql, company, transaction, cancellationToken: cancellationToken));
            var created = await ReadAsync(connection, transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return created;
        }, cancellationToken);
    }

    /// <summary>Replaces every field, alias and external id and reads the result back in one transaction; null when the company does not exist.</summary>
    public async Task<CompanyResponse?> ReplaceAsync(long id, CompanyWrite company, DateTime[]? expected, CancellationToken cancellationToken)
    {
        return await db.WithConnectionAsync<CompanyResponse?>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var args = new DynamicParameters(company);
            args.Add("Id", id);
            args.Add("Expected", expected);
            var updated = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(UpdateSql, args, transaction, cancellationToken: cancellationToken));
            if (updated is null)
            {
                return null;
            }

            await connection.ExecuteAsync(new CommandDefinition(ReplaceChildrenSql, args, transaction, cancellationToken: cancellationToken));
            var replaced = await ReadAsync(connection, transaction, id, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return replaced;
        }, cancellationToken);
    }

    private static async Task<CompanyResponse> ReadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long id, CancellationToken cancellationToken) =>
        (await ById.Read(connection, ById.Statement([id], transaction, cancellationToken))).Single().ToResponse();

    /// <summary>Deletes the row if it is still at one of the <paramref name="expected"/> versions (any, when null).</summary>
    public async Task<bool> DeleteAsync(long id, DateTime[]? expected, CancellationToken cancellationToken) =>
        await db.ExecuteAsync(new CommandDefinition(DeleteSql, new { Id = id, Expected = expected }, cancellationToken: cancellationToken)) > 0;

    private sealed class CompanyRow
    {
        public long Id { get; init; }
        public string Slug { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Country { get; init; }
        public string? Website { get; init; }
        public string? Description { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public string[] Aliases { get; init; } = [];
        public string? ExternalIds { get; init; }
        public float Score { get; init; }

        public CompanyResponse ToResponse() => new(
            Id, Slug, Name, Aliases,
            ExternalIds is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(ExternalIds)!,
            Country, Website, Description,
            new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
            new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)));
    }
}
