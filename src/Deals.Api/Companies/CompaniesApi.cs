using System.ComponentModel;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Products;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Companies;

public static class CompaniesApi
{
    public static RouteGroupBuilder MapCompaniesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/companies").WithTags("Companies").WithValidation();

        group.MapGet("/", ListCompanies).WithName("ListCompanies")
            .WithSummary("List companies")
            .WithDescription("Companies in id order, a page at a time. Pass the `nextCursor` of a page as `cursor` to get the next; the `Link` header carries the same URL.")
            .ProducesValidationProblem();
        group.MapGet("/{idOrSlug}", GetCompany).WithName("GetCompany")
            .WithSummary("Get a company by id or slug")
            .WithDescription("`/v1/companies/1` and `/v1/companies/red-hat` address the same company.");
        group.MapPost("/", CreateCompany).WithName("CreateCompany")
            .WithSummary("Create a company")
            .WithDescription("The slug is derived from the name when omitted (`Red Hat` → `red-hat`). A taken slug or external id is a 409.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{idOrSlug}", ReplaceCompany).WithName("ReplaceCompany")
            .WithSummary("Replace a company")
            .WithDescription("Sets every field to the body's value: omitted fields become empty, except the slug, which is kept when omitted.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPatch("/{idOrSlug}", PatchCompany).WithName("PatchCompany")
            .WithSummary("Change some fields of a company")
            .WithDescription("JSON Merge Patch (RFC 7396): fields in the body replace the stored ones, `null` clears one, omitted fields stay as they are.")
            .Accepts<CompanyRequest>(MergePatch.MediaType, "application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{idOrSlug}", DeleteCompany).WithName("DeleteCompany")
            .WithSummary("Delete a company")
            .WithDescription("A company that deals or products still reference cannot be deleted: that is a 409.")
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/{idOrSlug}/acquisitions", ListCompanyAcquisitions).WithName("ListCompanyAcquisitions")
            .WithSummary("Deals in which the company was the buyer")
            .WithDescription("Acquisitions the company made, in id order, a page at a time.")
            .ProducesValidationProblem();
        group.MapGet("/{idOrSlug}/acquired-by", ListCompanyAcquiredBy).WithName("ListCompanyAcquiredBy")
            .WithSummary("Deals in which the company was the target")
            .WithDescription("Who acquired the company (more than one deal when it changed hands more than once), in id order.")
            .ProducesValidationProblem();
        group.MapGet("/{idOrSlug}/products", ListCompanyProducts).WithName("ListCompanyProducts")
            .WithSummary("Products the company made or owns")
            .WithDescription("Products it made, and products it owns today through a completed acquisition, in id order.")
            .ProducesValidationProblem();
        return group;
    }

    public static async Task<Ok<Page<CompanyResponse>>> ListCompanies(
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore store, HttpContext http, CancellationToken cancellationToken)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        var rows = await store.ListAsync(after, take + 1, cancellationToken);
        return TypedResults.Ok(Paging.ToPage(http, rows, take, c => c.Id));
    }

    public static async Task<Results<Ok<CompanyResponse>, ProblemHttpResult>> GetCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyStore store, CancellationToken cancellationToken) =>
        await store.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is { } company
            ? TypedResults.Ok(company)
            : NotFound(idOrSlug);

    public static async Task<Results<Created<CompanyResponse>, ValidationProblem, ProblemHttpResult>> CreateCompany(
        CompanyRequest request, CompanyStore store, ReferenceData reference, CancellationToken cancellationToken)
    {
        var created = await store.CreateAsync(ToWrite(request, existingSlug: null, reference), cancellationToken);
        return TypedResults.Created($"/v1/companies/{created.Id}", created);
    }

    public static async Task<Results<Ok<CompanyResponse>, ValidationProblem, ProblemHttpResult>> ReplaceCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyRequest request, CompanyStore store, ReferenceData reference,
        CancellationToken cancellationToken)
    {
        if (await store.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } current)
        {
            return NotFound(idOrSlug);
        }

        return await store.ReplaceAsync(current.Id, ToWrite(request, current.Slug, reference), cancellationToken) is { } replaced
            ? TypedResults.Ok(replaced)
            : NotFound(idOrSlug);
    }

    public static async Task<Results<Ok<CompanyResponse>, ValidationProblem, ProblemHttpResult>> PatchCompany(
        [Description("Company id or slug.")] string idOrSlug, HttpRequest request, CompanyStore store, ReferenceData reference,
        CancellationToken cancellationToken)
    {
        if (await store.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } current)
        {
            return NotFound(idOrSlug);
        }

        var (merged, problem) = await MergePatch.ApplyAsync(request, ToRequest(current), cancellationToken);
        if (problem is not null)
        {
            return problem is ValidationProblem v ? v : (ProblemHttpResult)problem;
        }

        return await store.ReplaceAsync(current.Id, ToWrite(merged!, current.Slug, reference), cancellationToken) is { } replaced
            ? TypedResults.Ok(replaced)
            : NotFound(idOrSlug);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyStore store, CancellationToken cancellationToken)
    {
        var id = await store.FindIdAsync(CompanyKey.Parse(idOrSlug), cancellationToken);
        return id is not null && await store.DeleteAsync(id.Value, cancellationToken)
            ? TypedResults.NoContent()
            : NotFound(idOrSlug);
    }

    public static async Task<Results<Ok<Page<AcquisitionResponse>>, ProblemHttpResult>> ListCompanyAcquisitions(
        [Description("Company id or slug.")] string idOrSlug,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, AcquisitionStore acquisitions, HttpContext http, CancellationToken cancellationToken) =>
        await ListDeals(idOrSlug, limit, cursor, AcquisitionStore.Side.Buyer, companies, acquisitions, http, cancellationToken);

    public static async Task<Results<Ok<Page<AcquisitionResponse>>, ProblemHttpResult>> ListCompanyAcquiredBy(
        [Description("Company id or slug.")] string idOrSlug,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, AcquisitionStore acquisitions, HttpContext http, CancellationToken cancellationToken) =>
        await ListDeals(idOrSlug, limit, cursor, AcquisitionStore.Side.Target, companies, acquisitions, http, cancellationToken);

    public static async Task<Results<Ok<Page<ProductResponse>>, ProblemHttpResult>> ListCompanyProducts(
        [Description("Company id or slug.")] string idOrSlug,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, ProductStore products, HttpContext http, CancellationToken cancellationToken)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        if (await companies.FindIdAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } id)
        {
            return NotFound(idOrSlug);
        }

        var rows = await products.ListByCompanyAsync(id, after, take + 1, cancellationToken);
        return TypedResults.Ok(Paging.ToPage(http, rows, take, p => p.Id));
    }

    private static async Task<Results<Ok<Page<AcquisitionResponse>>, ProblemHttpResult>> ListDeals(
        string idOrSlug, int? limit, string? cursor, AcquisitionStore.Side side,
        CompanyStore companies, AcquisitionStore acquisitions, HttpContext http, CancellationToken cancellationToken)
    {
        var (take, after) = Paging.Parse(limit, cursor);
        if (await companies.FindIdAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } id)
        {
            return NotFound(idOrSlug);
        }

        var rows = await acquisitions.ListByCompanyAsync(id, side, after, take + 1, cancellationToken);
        return TypedResults.Ok(Paging.ToPage(http, rows, take, a => a.Id));
    }

    private static ProblemHttpResult NotFound(string idOrSlug) => Problems.NotFound($"No company has the id or slug '{idOrSlug}'.");

    private static CompanyWrite ToWrite(CompanyRequest request, string? existingSlug, ReferenceData reference)
    {
        var name = request.Name!.Trim();
        var externalIds = (request.ExternalIds ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        return new CompanyWrite(
            Slug: request.Slug ?? existingSlug ?? Slugs.From(name),
            Name: name,
            Aliases: [.. (request.Aliases ?? []).Select(a => a.Trim()).Where(a => a != name).Distinct(StringComparer.Ordinal)],
            Registries: [.. externalIds.Select(kv => kv.Key)],
            ExternalIds: [.. externalIds.Select(kv => kv.Value.Trim())],
            Country: request.Country is null ? null : reference.Country(request.Country),
            Website: request.Website,
            Description: request.Description);
    }

    private static CompanyRequest ToRequest(CompanyResponse c) => new()
    {
        Name = c.Name,
        Slug = c.Slug,
        Aliases = c.Aliases,
        ExternalIds = c.ExternalIds,
        Country = c.Country,
        Website = c.Website,
        Description = c.Description,
    };
}
