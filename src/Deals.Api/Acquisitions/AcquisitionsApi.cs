using System.ComponentModel;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Imports;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Acquisitions;

public static class AcquisitionsApi
{
    public static RouteGroupBuilder MapAcquisitionsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/acquisitions").WithTags("Acquisitions").WithValidation();

        group.MapGet("/", ListAcquisitions).WithName("ListAcquisitions")
            .WithSummary("List and filter acquisitions")
            .WithDescription("Deals matching every filter given, sorted, a page at a time, each with its buyer, target and products; follow `nextCursor` " +
                             "or the `Link` header for the next page. With `Accept: text/csv` the whole filtered list is streamed as CSV in the " +
                             "canonical import columns (no paging), ready to import elsewhere.")
            .Produces<Page<AcquisitionResponse>>(StatusCodes.Status200OK, "application/json", "text/csv")
            .ProducesValidationProblem();
        group.MapGet("/{id:long}", GetAcquisition).WithName("GetAcquisition")
            .WithSummary("Get an acquisition")
            .WithDescription("One deal with the summaries of its buyer, target and the products it carried.");
        group.MapPost("/", CreateAcquisition).WithName("CreateAcquisition")
            .WithSummary("Record an acquisition")
            .WithDescription("Buyer and target must exist (409 otherwise) and differ. A second deal of the same buyer and target whose announcement " +
                             "date contains or falls within the first one's (`2016` and `2016-04-01`: one deal at two precisions, as an import matches them) is a 409 naming the first. " +
                             "Each product carried must be made by the target or have been carried to it by an earlier deal.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", ReplaceAcquisition).WithName("ReplaceAcquisition")
            .WithSummary("Replace an acquisition")
            .WithDescription("Sets every field, and the products carried, to the body's value; omitted optional fields take their defaults.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPatch("/{id:long}", PatchAcquisition).WithName("PatchAcquisition")
            .WithSummary("Change some fields of an acquisition")
            .WithDescription("JSON Merge Patch (RFC 7396): `{\"price\": null}` marks the price undisclosed, `{\"status\": \"completed\"}` closes a pending deal.")
            .Accepts<AcquisitionRequest>(MergePatch.MediaType, "application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{id:long}", DeleteAcquisition).WithName("DeleteAcquisition")
            .WithSummary("Delete an acquisition")
            .WithDescription("Removes the deal and its product links; the companies and products stay.");
        return group;
    }

    public static async Task<Results<Ok<Page<AcquisitionResponse>>, CsvExport>> ListAcquisitions(
        [AsParameters] AcquisitionFilters filters,
        [Description("Comma-separated sort fields: `id`, `announcedOn`, `price`, `createdAt`, `updatedAt`; `-` for descending, e.g. `-announcedOn,price`. Default `id`.")] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page (with the same `sort`).")] string? cursor,
        AcquisitionStore store, CompanyStore companies, ReferenceData reference, HttpContext http, CancellationToken cancellationToken)
    {
        var take = Paging.Limit(limit);
        var csv = CsvExport.Wanted(http.Request);
        var query = (await QueryAsync(filters, companies, reference, cancellationToken, trustIds: !csv)).OrderBy(sort).After(cursor);
        if (csv)
        {
            return new CsvExport(query, http.RequestServices.GetRequiredService<Db>());
        }

        var rows = await store.ListAsync(query, take + 1, cancellationToken);
        if (rows.Count == 0)
        {
            // Company ids were taken on trust: an empty page may mean one does not exist, which is a 400.
            await ResolveCompanyAsync("buyer", filters.Buyer, companies, trustIds: false, cancellationToken);
            await ResolveCompanyAsync("target", filters.Target, companies, trustIds: false, cancellationToken);
        }

        return TypedResults.Ok(Paging.ToPage(http, rows, take, query.CursorAfter));
    }

    /// <summary>
    /// The filters as a query, with company ids or slugs resolved (an unknown company is a 400 naming it). With
    /// <paramref name="trustIds"/>, a company given by id is used as is, saving a round trip per request (a list by
    /// buyer is one statement); the caller must then check the companies when nothing matches.
    /// </summary>
    internal static async Task<AcquisitionQuery> QueryAsync(AcquisitionFilters filters, CompanyStore companies, ReferenceData reference,
        CancellationToken cancellationToken, bool trustIds = false) =>
        AcquisitionQuery.From(filters,
            await ResolveCompanyAsync("buyer", filters.Buyer, companies, trustIds, cancellationToken),
            await ResolveCompanyAsync("target", filters.Target, companies, trustIds, cancellationToken), reference,
            await NamedCompaniesAsync(filters.Q, companies, cancellationToken));

    /// <summary>The companies whose name contains <paramref name="q"/>, when a few enough to pass by id (a bad q is a 400 first).</summary>
    private static async Task<long[]?> NamedCompaniesAsync(string? q, CompanyStore companies, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(q))
        {
            return null;
        }

        Search.Check(q);
        return await companies.IdsNamedLikeAsync(q, AcquisitionQuery.MaxNamedCompanies, cancellationToken);
    }

    /// <summary>The id of the company a filter names (none: null; unknown: a 400 naming <paramref name="field"/>).</summary>
    private static async Task<long?> ResolveCompanyAsync(string field, string? key, CompanyStore companies, bool trustIds, CancellationToken cancellationToken) =>
        key is null ? null
        : trustIds && CompanyKey.Parse(key).Id is { } id ? id
        : await companies.FindIdAsync(CompanyKey.Parse(key), cancellationToken)
          ?? throw new RequestValidationException(field, $"No company has the id or slug '{key}'.");

    public static async Task<Results<Ok<AcquisitionResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetAcquisition(
        [Description("Acquisition id.")] long id, AcquisitionStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } deal)
        {
            return NotFound(id);
        }

        return ETags.Tag(http, deal.UpdatedAt) ? ETags.NotModified() : TypedResults.Ok(deal);
    }

    public static async Task<Results<Created<AcquisitionResponse>, ValidationProblem, ProblemHttpResult>> CreateAcquisition(
        AcquisitionRequest request, AcquisitionStore store, CancellationToken cancellationToken)
    {
        var (created, foreign) = await store.CreateAsync(ToWrite(request), cancellationToken);
        return created is null ? ForeignProducts(foreign) : TypedResults.Created($"/v1/acquisitions/{created.Id}", created);
    }

    public static async Task<Results<Ok<AcquisitionResponse>, ValidationProblem, ProblemHttpResult>> ReplaceAcquisition(
        [Description("Acquisition id.")] long id, AcquisitionRequest request, AcquisitionStore store, HttpContext http, CancellationToken cancellationToken) =>
        await Save(id, request, store, http, cancellationToken);

    public static async Task<Results<Ok<AcquisitionResponse>, ValidationProblem, ProblemHttpResult>> PatchAcquisition(
        [Description("Acquisition id.")] long id, HttpRequest request, AcquisitionStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } current)
        {
            return NotFound(id);
        }

        var (merged, problem) = await MergePatch.ApplyAsync(request, ToRequest(current), cancellationToken);
        return problem switch
        {
            ValidationProblem validation => validation,
            ProblemHttpResult other => other,
            _ => await Save(id, merged!, store, request.HttpContext, cancellationToken),
        };
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAcquisition(
        [Description("Acquisition id.")] long id, AcquisitionStore store, HttpRequest request, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, ETags.Expected(request), cancellationToken) ? TypedResults.NoContent()
        : await store.GetAsync(id, cancellationToken) is null ? NotFound(id)
        : ETags.PreconditionFailed();

    private static async Task<Results<Ok<AcquisitionResponse>, ValidationProblem, ProblemHttpResult>> Save(
        long id, AcquisitionRequest request, AcquisitionStore store, HttpContext http, CancellationToken cancellationToken)
    {
        var expected = ETags.Expected(http.Request);
        var (replaced, foreign) = await store.ReplaceAsync(id, ToWrite(request), expected, cancellationToken);
        if (foreign.Length > 0)
        {
            return ForeignProducts(foreign);
        }

        if (replaced is null)
        {
            return await store.GetAsync(id, cancellationToken) is null ? NotFound(id) : ETags.PreconditionFailed();
        }

        ETags.Tag(http, replaced.UpdatedAt);
        return TypedResults.Ok(replaced);
    }

    private static ValidationProblem ForeignProducts(long[] ids) => Problems.Validation("productIds",
        $"Products {string.Join(", ", ids)} do not exist, or were neither made by the target nor carried to it by an earlier deal.");

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound($"No acquisition has the id {id}.");

    private static AcquisitionWrite ToWrite(AcquisitionRequest r)
    {
        var announced = r.AnnouncedOn!.Value;
        return new AcquisitionWrite(
            r.BuyerId!.Value, r.TargetId!.Value,
            announced.Start.ToDateTime(TimeOnly.MinValue), announced.PrecisionName,
            r.ClosedOn?.Start.ToDateTime(TimeOnly.MinValue), r.ClosedOn?.PrecisionName,
            KebabEnum<AcquisitionStatus>.Name(r.Status ?? AcquisitionStatus.Completed),
            r.Price?.Amount, r.Price?.Currency?.ToUpperInvariant(),
            KebabEnum<DealType>.Name(r.Type ?? DealType.Acquisition),
            r.Terms is { } terms ? KebabEnum<DealTerms>.Name(terms) : null,
            KebabEnum<Disposition>.Name(r.Disposition ?? Disposition.Subsidiary),
            [.. r.ProductIds ?? []],
            r.SourceUrl, r.Notes);
    }

    private static AcquisitionRequest ToRequest(AcquisitionResponse a) => new()
    {
        BuyerId = a.BuyerId,
        TargetId = a.TargetId,
        AnnouncedOn = a.AnnouncedOn,
        ClosedOn = a.ClosedOn,
        Status = a.Status,
        Price = a.Price is null ? null : new MoneyRequest { Amount = a.Price.Amount, Currency = a.Price.Currency },
        Type = a.Type,
        Terms = a.Terms,
        Disposition = a.Disposition,
        ProductIds = a.ProductIds,
        SourceUrl = a.SourceUrl,
        Notes = a.Notes,
    };
}
