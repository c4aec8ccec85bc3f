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
        group.MapPost("/{idOrSlug}/merge", MergeCompany).WithName("MergeCompany")
            .WithSummary("Fold a duplicate company into this one")
            .WithDescription("Real imports produce duplicates. The duplicate's deals, products, aliases and external ids move to this company, " +
                             "its name becomes an alias, and it is deleted, all in one transaction. A deal both had is kept once.")
            .ProducesValidationProblem();
        group.MapGet("/{idOrSlug}/parents", GetCompanyParents).WithName("GetCompanyParents")
            .WithSummary("Who controls the company")
            .WithDescription("The chain of control upward (Qumranet → Red Hat → IBM), from completed deals whose target stayed a subsidiary or division. " +
                             "With `asOf`, the chain at that date: a deal counts from its closing date (else its announcement), and a partial `asOf` " +
                             "means the end of its period (`2010` is the chain at the end of 2010).")
            .ProducesValidationProblem();
        group.MapGet("/{idOrSlug}/tree", GetCompanyTree).WithName("GetCompanyTree")
            .WithSummary("Everything the company acquired, recursively")
            .WithDescription("What it acquired through completed deals, and what those had acquired, down to `depth` levels (IBM → Red Hat → Qumranet, JBoss...), " +
                             $"with the deal on each edge. At most {ControlStore.MaxTreeEdges} deals; `truncated` says when there were more.")
            .ProducesValidationProblem();
        return group;
    }

    public static async Task<Results<Ok<CompanyResponse>, ValidationProblem, ProblemHttpResult>> MergeCompany(
        [Description("The company that stays (id or slug).")] string idOrSlug, MergeRequest request,
        CompanyStore companies, CompanyMergeStore merges, CancellationToken cancellationToken)
    {
        if (await companies.FindIdAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } into)
        {
            return NotFound(idOrSlug);
        }

        if (await companies.FindIdAsync(CompanyKey.Parse(request.Duplicate!), cancellationToken) is not { } duplicate)
        {
            return Problems.Validation("duplicate", $"No company has the id or slug '{request.Duplicate}'.");
        }

        if (duplicate == into)
        {
            return Problems.Validation("duplicate", "A company cannot be merged into itself.");
        }

        await merges.MergeAsync(into, duplicate, cancellationToken);
        return TypedResults.Ok((await companies.GetAsync(new CompanyKey(into, null), cancellationToken))!);
    }

    public static async Task<Results<Ok<ParentChain>, ProblemHttpResult>> GetCompanyParents(
        [Description("Company id or slug.")] string idOrSlug,
        [Description("The date to look at: a partial date (`2010`, `2010-06`, `2010-06-30`); default today.")] string? asOf,
        ControlStore control, TimeProvider clock, CancellationToken cancellationToken)
    {
        PartialDate? date = asOf is null ? null
            : PartialDate.TryParse(asOf, out var parsed) ? parsed
            : throw new RequestValidationException("asOf", $"Expected a date: {PartialDate.FormatDescription}.");
        var until = date?.End ?? DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        return await control.ParentsAsync(CompanyKey.Parse(idOrSlug), until, cancellationToken) is { } chain
            ? TypedResults.Ok(new ParentChain(chain.Company, date, chain.Parents))
            : NotFound(idOrSlug);
    }

    public static async Task<Results<Ok<AcquisitionTree>, ProblemHttpResult>> GetCompanyTree(
        [Description("Company id or slug.")] string idOrSlug,
        [Description("How many levels to follow, 1–5 (default 3).")] int? depth,
        CompanyStore companies, ControlStore control, CancellationToken cancellationToken)
    {
        var levels = depth ?? 3;
        if (levels is < 1 or > 5)
        {
            throw new RequestValidationException("depth", "Must be between 1 and 5.");
        }

        if (await companies.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } company)
        {
            return NotFound(idOrSlug);
        }

        var (edges, truncated) = await control.TreeAsync(company.Id, levels, cancellationToken);
        var byParent = edges.ToLookup(e => e.ParentId);
        List<TreeNode> Children(long parent, int level) =>
            level > levels ? [] : [.. byParent[parent].Select(e => e.Node with { Acquired = Children(e.Node.Company.Id, level + 1) })];
        return TypedResults.Ok(new AcquisitionTree(new CompanySummary(company.Id, company.Slug, company.Name), levels, truncated, Children(company.Id, 1)));
    }

    public static async Task<Ok<Page<CompanyResponse>>> ListCompanies(
        [Description("Search by name or alias, tolerant of typos (`redhat`, `red hatt` find Red Hat); best match first.")] string? q,
        [Description("Only companies of this country: ISO 3166-1 alpha-2 or alpha-3 (`US`, `USA`).")] string? country,
        [Description(Paging.IdSortDescription)] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore store, ReferenceData reference, HttpContext http, CancellationToken cancellationToken)
    {
        Paging.CheckIdSort(sort, q);
        var take = Paging.Limit(limit);
        var alpha2 = reference.CountryFilter(country);
        if (string.IsNullOrWhiteSpace(q))
        {
            var (_, after) = Paging.Parse(limit, cursor);
            return TypedResults.Ok(Paging.ToPage(http, await store.ListAsync(alpha2, after, take + 1, cancellationToken), take, c => c.Id));
        }

        Search.Check(q);
        var found = await store.SearchAsync(q, alpha2, Paging.DecodeScored(cursor), take + 1, cancellationToken);
        var page = Paging.ToPage(http, found, take, f => Paging.EncodeScored(f.Score, f.Company.Id));
        return TypedResults.Ok(new Page<CompanyResponse>([.. page.Items.Select(f => f.Company)], page.NextCursor));
    }

    public static async Task<Results<Ok<CompanyResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } company)
        {
            return NotFound(idOrSlug);
        }

        return ETags.Tag(http, company.UpdatedAt) ? ETags.NotModified() : TypedResults.Ok(company);
    }

    public static async Task<Results<Created<CompanyResponse>, ValidationProblem, ProblemHttpResult>> CreateCompany(
        CompanyRequest request, CompanyStore store, ReferenceData reference, CancellationToken cancellationToken)
    {
        var created = await store.CreateAsync(ToWrite(request, existingSlug: null, reference), cancellationToken);
        return TypedResults.Created($"/v1/companies/{created.Id}", created);
    }

    public static async Task<Results<Ok<CompanyResponse>, ValidationProblem, ProblemHttpResult>> ReplaceCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyRequest request, CompanyStore store, ReferenceData reference,
        HttpContext http, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } current)
        {
            return NotFound(idOrSlug);
        }

        return Saved(await store.ReplaceAsync(current.Id, ToWrite(request, current.Slug, reference), ETags.Expected(http.Request), cancellationToken), http);
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

        return Saved(await store.ReplaceAsync(current.Id, ToWrite(merged!, current.Slug, reference), ETags.Expected(request), cancellationToken), request.HttpContext);
    }

    /// <summary>The replaced company with its new ETag, or 412 when If-Match named an older version (the company exists: it was just read).</summary>
    private static Results<Ok<CompanyResponse>, ValidationProblem, ProblemHttpResult> Saved(CompanyResponse? replaced, HttpContext http)
    {
        if (replaced is null)
        {
            return ETags.PreconditionFailed();
        }

        ETags.Tag(http, replaced.UpdatedAt);
        return TypedResults.Ok(replaced);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteCompany(
        [Description("Company id or slug.")] string idOrSlug, CompanyStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        if (await store.FindIdAsync(CompanyKey.Parse(idOrSlug), cancellationToken) is not { } id)
        {
            return NotFound(idOrSlug);
        }

        return await store.DeleteAsync(id, ETags.Expected(request), cancellationToken) ? TypedResults.NoContent()
            : await store.FindIdAsync(new CompanyKey(id, null), cancellationToken) is null ? NotFound(idOrSlug)
            : ETags.PreconditionFailed();
    }

    public static async Task<Results<Ok<Page<AcquisitionResponse>>, ProblemHttpResult>> ListCompanyAcquisitions(
        [Description("Company id or slug.")] string idOrSlug,
        [Description(Paging.IdSortDescription)] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, AcquisitionStore acquisitions, HttpContext http, CancellationToken cancellationToken)
    {
        Paging.CheckIdSort(sort, hint: "For these deals in another order: /v1/acquisitions?buyer={company}&sort=...");
        return await ListDeals(idOrSlug, limit, cursor, AcquisitionStore.Side.Buyer, companies, acquisitions, http, cancellationToken);
    }

    public static async Task<Results<Ok<Page<AcquisitionResponse>>, ProblemHttpResult>> ListCompanyAcquiredBy(
        [Description("Company id or slug.")] string idOrSlug,
        [Description(Paging.IdSortDescription)] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, AcquisitionStore acquisitions, HttpContext http, CancellationToken cancellationToken)
    {
        Paging.CheckIdSort(sort, hint: "For these deals in another order: /v1/acquisitions?target={company}&sort=...");
        return await ListDeals(idOrSlug, limit, cursor, AcquisitionStore.Side.Target, companies, acquisitions, http, cancellationToken);
    }

    public static async Task<Results<Ok<Page<ProductResponse>>, ProblemHttpResult>> ListCompanyProducts(
        [Description("Company id or slug.")] string idOrSlug,
        [Description(Paging.IdSortDescription)] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        CompanyStore companies, ProductStore products, HttpContext http, CancellationToken cancellationToken)
    {
        Paging.CheckIdSort(sort);
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
