using System.ComponentModel;
using Deals.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Audit;

public static class AuditApi
{
    private static readonly string[] Entities = ["company", "product", "acquisition"];

    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/audit").WithTags("Audit");

        group.MapGet("/", ListAuditEntries).WithName("ListAuditEntries")
            .WithSummary("List recorded changes")
            .WithDescription("Every write (API and import) is recorded in its transaction with who, when, and the row before and after. Newest first, a page at a time.")
            .ProducesValidationProblem();
        group.MapPost("/{id:long}/undo", UndoAuditEntry).WithName("UndoAuditEntry")
            .WithSummary("Undo a recorded change")
            .WithDescription("Reverts every row change of the entry's transaction to the same company, product or deal: a deleted deal comes back with its products, " +
                             "a changed company gets its old fields and aliases. Refused with 409 when the record has changed since; the undo is itself recorded, so it can be undone.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return group;
    }

    public static async Task<Ok<Page<AuditEntry>>> ListAuditEntries(
        [Description("Only changes to this kind of record: `company`, `product` or `acquisition`.")] string? entity,
        [Description("Only changes to the record with this id (use with `entity`).")] long? id,
        [Description("Only changes made with the API key of this id.")] string? keyId,
        [Description("Only changes at or after this time (ISO 8601).")] DateTimeOffset? from,
        [Description("Only changes before this time (ISO 8601).")] DateTimeOffset? to,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        AuditStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (entity is not null && !Entities.Contains(entity))
        {
            throw new RequestValidationException("entity", $"Expected one of: {string.Join(", ", Entities)}.");
        }

        if (keyId is not null && (keyId.Length is 0 or > 200 || keyId.AsSpan().IndexOfAnyInRange('\0', ' ') >= 0 || !Validation.IsPlainText(keyId)))
        {
            throw new RequestValidationException("keyId", "Expected an API key id, such as 3.");
        }

        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await store.ListAsync(new AuditQuery(entity, id, keyId, from?.ToUniversalTime(), to?.ToUniversalTime()), after == 0 ? long.MaxValue : after, take + 1, cancellationToken);
        return TypedResults.Ok(Paging.ToPage(http, rows, take, e => e.Id));
    }

    public static async Task<Ok<UndoResult>> UndoAuditEntry(
        [Description("The audit entry whose change to undo.")] long id, AuditStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new UndoResult(id, await store.UndoAsync(id, cancellationToken)));
}
