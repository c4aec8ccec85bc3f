using System.Text.Json;

namespace Deals.Api.Audit;

/// <summary>One recorded change to one row.</summary>
/// <param name="Id">Entry id; pass it to undo.</param>
/// <param name="At">When the transaction that made the change started (UTC); entries of one long transaction can carry an earlier time than entries written before them.</param>
/// <param name="KeyId">Id of the API key that made the change; null for changes made without a key (the local run's samples, migrations).</param>
/// <param name="Entity">`company`, `product` or `acquisition`.</param>
/// <param name="EntityId">Id of the company, product or acquisition the row belongs to.</param>
/// <param name="Table">The table the row lives in (aliases, external ids and product links belong to their company or deal).</param>
/// <param name="Action">`insert`, `update` or `delete`.</param>
/// <param name="Transaction">Changes made together share this number; an undo reverts them together.</param>
/// <param name="Before">The row before the change (null for an insert).</param>
/// <param name="After">The row after the change (null for a delete).</param>
public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    string? KeyId,
    string Entity,
    long EntityId,
    string Table,
    string Action,
    long Transaction,
    JsonElement? Before,
    JsonElement? After);

/// <summary>What an undo did: the new entries it recorded (undo them to redo).</summary>
/// <param name="Undone">The entry that was undone.</param>
/// <param name="Entries">The changes the undo made.</param>
public sealed record UndoResult(long Undone, IReadOnlyList<AuditEntry> Entries);
