using System.Text.Json;
using Dapper;
using Deals.Api.Common;

namespace Deals.Api.Audit;

/// <summary>Filters on the audit log; null means any.</summary>
public sealed record AuditQuery(string? Entity, long? EntityId, string? KeyId, DateTimeOffset? From, DateTimeOffset? To);

public sealed class AuditStore(Db db)
{
    private const string Columns = "id, at, actor, entity, entity_id, table_name, action, tx, before::text AS before, after::text AS after";

    /// <summary>
    /// How many entries at or after <c>to</c> a page may walk past before it is read from the time index instead.
    /// </summary>
    internal const int WalkLimit = 10_000;

    // Each filter is optional; the keyset cursor continues below the last id seen.
    private const string Filters = """
        id < @Before
          AND (@Entity::text IS NULL OR entity = @Entity)
          AND (@EntityId::bigint IS NULL OR entity_id = @EntityId)
          AND (@KeyId::text IS NULL OR actor = @KeyId)
          AND (@From::timestamptz IS NULL OR at >= @From)
          AND (@To::timestamptz IS NULL OR at < @To)
        """;

    /// <summary>
    /// A page, newest (highest id) first. Walking the log down from its newest entry serves every filter but <c>to</c>
    /// with a time long past: the walk passes every later entry before it finds one, since PostgreSQL does not know that
    /// ids and times rise together (nearly: an entry's time is its transaction's start). So when <see cref="WalkLimit"/>
    /// or more entries are at or after <c>to</c> (counted on the time index, up to that many), the entries before
    /// <c>to</c> are read from the time index and the page's ids taken from them (<c>id + 0</c> keeps the planner off
    /// the walk). Both read the same entries; only one runs.
    /// </summary>
    internal static readonly string ListSql = $"""
        WITH later AS (
            SELECT count(*) AS n FROM (SELECT FROM audit_log WHERE at >= @To AND id < @Before LIMIT {WalkLimit}) l
        )
        SELECT * FROM (
            (SELECT {Columns} FROM audit_log
             WHERE {Filters}
               AND (@To::timestamptz IS NULL OR (SELECT n FROM later) < {WalkLimit})
             ORDER BY id DESC
             LIMIT @Take)
            UNION ALL
            (SELECT {Columns} FROM audit_log
             WHERE (SELECT n FROM later) = {WalkLimit}
               AND id IN (SELECT id FROM audit_log WHERE {Filters} AND @To::timestamptz IS NOT NULL ORDER BY id + 0 DESC LIMIT @Take))
        ) page
        ORDER BY id DESC
        """;

    private const string UndoSql = $"""
        SELECT audit_undo(@Id);
        SELECT {Columns} FROM audit_log WHERE tx = txid_current() ORDER BY id;
        """;

    public async Task<List<AuditEntry>> ListAsync(AuditQuery query, long before, int take, CancellationToken cancellationToken)
    {
        // Planned for its values: which filters are given decides the plan.
        var rows = await db.QueryPlannedAsync<AuditRow>(new CommandDefinition(ListSql, ListParameters(query, before, take), cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToEntry())];
    }

    internal static object ListParameters(AuditQuery query, long before, int take) => new
    {
        query.Entity, query.EntityId, query.KeyId, query.From, query.To, Before = before, Take = take,
    };

    /// <summary>Undoes the change of an entry in one transaction; returns the entries the undo recorded.</summary>
    public async Task<List<AuditEntry>> UndoAsync(long id, CancellationToken cancellationToken)
    {
        return await db.WithConnectionAsync<List<AuditEntry>>(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var results = await connection.QueryMultipleAsync(new CommandDefinition(UndoSql, new { Id = id }, transaction, cancellationToken: cancellationToken));
            await results.ReadAsync();
            var entries = (await results.ReadAsync<AuditRow>()).Select(r => r.ToEntry()).ToList();
            await results.DisposeAsync();
            await transaction.CommitAsync(cancellationToken);
            return entries;
        }, cancellationToken);
    }

    private sealed class AuditRow
    {
        public long Id { get; init; }
        public DateTime At { get; init; }
        public string? Actor { get; init; }
        public string Entity { get; init; } = "";
        public long EntityId { get; init; }
        public string TableName { get; init; } = "";
        public string Action { get; init; } = "";
        public long Tx { get; init; }
        public string? Before { get; init; }
        public string? After { get; init; }

        public AuditEntry ToEntry() => new(Id, new DateTimeOffset(DateTime.SpecifyKind(At, DateTimeKind.Utc)), Actor, Entity, EntityId,
            TableName, Action, Tx, Parse(Before), Parse(After));

        private static JsonElement? Parse(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();
    }
}
