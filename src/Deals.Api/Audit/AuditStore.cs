using System.Text.Json;
using Dapper;
using Deals.Api.Common;

namespace Deals.Api.Audit;

/// <summary>Filters on the audit log; null means any.</summary>
public sealed record AuditQuery(string? Entity, long? EntityId, string? KeyId, DateTimeOffset? From, DateTimeOffset? To);

public sealed class AuditStore(Db db)
{
    private const string Columns = "id, at, actor, entity, entity_id, table_name, action, tx, before::text AS before, after::text AS after";

    // Newest first; each filter is optional and the keyset cursor continues below the last id seen.
    private const string ListSql = $"""
        SELECT {Columns}
        FROM audit_log
        WHERE id < @Before
          AND (@Entity::text IS NULL OR entity = @Entity)
          AND (@EntityId::bigint IS NULL OR entity_id = @EntityId)
          AND (@KeyId::text IS NULL OR actor = @KeyId)
          AND (@From::timestamptz IS NULL OR at >= @From)
          AND (@To::timestamptz IS NULL OR at < @To)
        ORDER BY id DESC
        LIMIT @Take
        """;

    private const string UndoSql = $"""
        SELECT audit_undo(@Id);
        SELECT {Columns} FROM audit_log WHERE tx = txid_current() ORDER BY id;
        """;

    public async Task<List<AuditEntry>> ListAsync(AuditQuery query, long before, int take, CancellationToken cancellationToken)
    {
        var rows = await db.QueryAsync<AuditRow>(new CommandDefinition(ListSql, new
        {
            query.Entity, query.EntityId, query.KeyId, query.From, query.To, Before = before, Take = take,
        }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToEntry())];
    }

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
