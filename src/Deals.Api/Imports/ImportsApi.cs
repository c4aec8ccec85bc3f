using System.ComponentModel;
using Deals.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Imports;

public static class ImportsApi
{
    /// <summary>Rows merged per transaction: large enough for set-based merges to pay, small enough to keep memory flat.</summary>
    public const int BatchSize = 20_000;

    /// <summary>Characters of text per batch at most (about 8 MB in memory), so that long notes do not make a batch large.</summary>
    public const int BatchChars = 4_000_000;

    /// <summary>How many rejections a report lists in full (all are counted).</summary>
    public const int MaxListedRejections = 10_000;

    public static RouteGroupBuilder MapImportsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/imports").WithTags("Imports").RequireRateLimiting(RateLimits.Imports)
            .WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        group.MapPost("/", Import).WithName("ImportDeals")
            .WithSummary("Import deal records in bulk")
            .WithDescription("""
                Deal records as `text/csv` (with a header row), `application/x-ndjson` or a JSON array, in the canonical columns
                `buyer, target, announced_on, closed_on, status, type, price_amount, price_currency, products, buyer_country,
                target_country, source_url, notes`, optionally `terms` and `disposition` (as the CSV export writes them; `products`
                separated by `|`), and `buyer_external_id` and `target_external_id`: the companies' ids in the registry named by
                `registry` (Crunchbase permalinks, say). Companies are matched by that id first (a company keeps it, and two
                companies of one name with different ids stay two), then by slug, name or alias
                ignoring case, spaces and punctuation, and created when missing; products by name within the target. A deal is
                matched by buyer, target and an overlapping date (`2008-09` and `2008-09-04` are one deal, which keeps the more
                precise date) and updated, else created; importing the same file twice changes nothing. The body is streamed and
                merged in batches of up to 20,000 rows (fewer when rows are long), each in its own transaction. The report accounts for every row.
                """)
            .Accepts<DealRecord[]>("application/json", "text/csv", "application/x-ndjson")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return group;
    }

    public static async Task<Results<Ok<ImportReport>, ValidationProblem, ProblemHttpResult>> Import(
        [Description("Report what would happen, and write nothing.")] bool? dryRun,
        [Description("Write nothing at all if any row is rejected (one transaction for the whole import).")] bool? atomic,
        [Description("Currency for prices given without one, e.g. `USD`; without it such rows are rejected.")] string? defaultCurrency,
        [Description("The registry of the `buyer_external_id` and `target_external_id` columns, e.g. `crunchbase`: lower-case letters, digits, `.`, `_` or `-`.")] string? registry,
        HttpRequest request, Db db, ReferenceData reference, TimeProvider clock, ImportStore store, ILogger<ImportStore> logger, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (mediaType is null || !ImportReader.MediaTypes.Contains(mediaType))
        {
            return TypedResults.Problem(statusCode: 415, type: Problems.TypeFor(415),
                detail: $"Send the records as one of: {string.Join(", ", ImportReader.MediaTypes)}.");
        }

        if (defaultCurrency is not null && !reference.IsCurrency(defaultCurrency))
        {
            return Problems.Validation("defaultCurrency", "Not an active ISO 4217 currency code.");
        }

        if (registry is not null && !Companies.CompanyRequestValidator.IsRegistry(registry))
        {
            return Problems.Validation("registry", Companies.CompanyRequestValidator.RegistryRule);
        }

        var dry = dryRun ?? false;
        var all = atomic ?? false;
        var rules = new ImportRules(reference, clock, defaultCurrency?.ToUpperInvariant(), registry);
        var rejections = new List<Rejection>();
        long rows = 0, rejected = 0, created = 0, updated = 0, unchanged = 0, companies = 0, products = 0;
        var batch = new List<ImportDeal>(BatchSize);
        var batchChars = 0;

        return await db.WithConnectionAsync<Ok<ImportReport>>(async connection =>
        {
            // A dry run or an atomic import keeps one transaction for everything and decides at the end; otherwise each
            // batch is a transaction of its own, begun only when there is a batch, so that nothing runs after the last commit.
            var whole = dry || all ? await connection.BeginTransactionAsync(cancellationToken) : null;
            try
            {
                async Task FlushAsync()
                {
                    if (batch.Count == 0)
                    {
                        return;
                    }

                    var transaction = whole ?? await connection.BeginTransactionAsync(cancellationToken);
                    try
                    {
                        var outcome = await store.MergeAsync(connection, transaction, batch, registry, cancellationToken);
                        if (whole is null)
                        {
                            await transaction.CommitAsync(cancellationToken);
                        }

                        created += outcome.Created;
                        updated += outcome.Updated;
                        unchanged += outcome.Unchanged;
                        companies += outcome.CompaniesCreated;
                        products += outcome.ProductsCreated;
                        rejected += outcome.Rejections.Count;
                        rejections.AddRange(outcome.Rejections.Take(MaxListedRejections - rejections.Count));
                    }
                    finally
                    {
                        if (whole is null)
                        {
                            await transaction.DisposeAsync();
                        }
                    }

                    batch.Clear();
                    batchChars = 0;
                    logger.LogInformation("Import: {Rows} rows read, {Created} created, {Updated} updated, {Unchanged} unchanged, {Rejected} rejected",
                        rows, created, updated, unchanged, rejected);
                }

                await foreach (var record in ImportReader.ReadAsync(mediaType, request.Body, cancellationToken))
                {
                    rows++;
                    var (deal, rejection) = rules.Check(record);
                    if (rejection is not null)
                    {
                        rejected++;
                        if (rejections.Count < MaxListedRejections)
                        {
                            rejections.Add(rejection);
                        }

                        continue;
                    }

                    batch.Add(deal!);
                    batchChars += deal!.Size;
                    if (batch.Count == BatchSize || batchChars >= BatchChars)
                    {
                        await FlushAsync();
                    }
                }

                await FlushAsync();
                var writes = !dry && !(all && rejected > 0);
                if (whole is not null)
                {
                    if (writes)
                    {
                        await whole.CommitAsync(cancellationToken);
                    }
                    else
                    {
                        await whole.RollbackAsync(cancellationToken);
                    }
                }

                return TypedResults.Ok(new ImportReport(!writes, rows, created, updated, unchanged, rejected, companies, products,
                    [.. rejections.OrderBy(r => r.Line)]));
            }
            finally
            {
                if (whole is not null)
                {
                    await whole.DisposeAsync();
                }
            }
        }, cancellationToken);
    }
}
