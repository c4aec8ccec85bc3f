using System.ComponentModel;
using Deals.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Products;

public static class ProductsApi
{
    public static RouteGroupBuilder MapProductsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/products").WithTags("Products").WithValidation();

        group.MapGet("/", ListProducts).WithName("ListProducts")
            .WithSummary("List products")
            .WithDescription("Products in id order, a page at a time; follow `nextCursor` or the `Link` header for the next page.")
            .ProducesValidationProblem();
        group.MapGet("/{id:long}", GetProduct).WithName("GetProduct")
            .WithSummary("Get a product")
            .WithDescription("Products are addressed by id: their slugs are unique only per maker.");
        group.MapPost("/", CreateProduct).WithName("CreateProduct")
            .WithSummary("Create a product")
            .WithDescription("The maker must exist (409 otherwise); the slug is derived from the name when omitted and must be unique for the maker.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", ReplaceProduct).WithName("ReplaceProduct")
            .WithSummary("Replace a product")
            .WithDescription("Sets every field to the body's value; the slug is kept when omitted.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPatch("/{id:long}", PatchProduct).WithName("PatchProduct")
            .WithSummary("Change some fields of a product")
            .WithDescription("JSON Merge Patch (RFC 7396): fields in the body replace the stored ones, `null` clears one, omitted fields stay.")
            .Accepts<ProductRequest>(MergePatch.MediaType, "application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        group.MapDelete("/{id:long}", DeleteProduct).WithName("DeleteProduct")
            .WithSummary("Delete a product")
            .WithDescription("A product that an acquisition carried cannot be deleted: that is a 409.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:long}/owners", GetProductOwners).WithName("GetProductOwners")
            .WithSummary("Who has owned the product")
            .WithDescription("Ownership over time, oldest first: the maker, then the buyer of each completed deal that carried the product, " +
                             "from that deal's closing date (else its announcement). KVM: Qumranet, then Red Hat from 2008-09-04.");
        return group;
    }

    public static async Task<Results<Ok<ProductOwners>, ProblemHttpResult>> GetProductOwners(
        [Description("Product id.")] long id, ProductStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } product)
        {
            return NotFound(id);
        }

        return TypedResults.Ok(new ProductOwners(new ProductSummary(product.Id, product.Slug, product.Name), await store.OwnersAsync(id, cancellationToken)));
    }

    public static async Task<Ok<Page<ProductResponse>>> ListProducts(
        [Description("Search by name, tolerant of typos (`kvmm` finds KVM); best match first.")] string? q,
        [Description("Only products made by a company of this country: ISO 3166-1 alpha-2 or alpha-3 (`IL`, `ISR`).")] string? country,
        [Description(Paging.IdSortDescription)] string? sort,
        [Description("Page size, 1–500.")] int? limit,
        [Description("The `nextCursor` of the previous page.")] string? cursor,
        ProductStore store, ReferenceData reference, HttpContext http, CancellationToken cancellationToken)
    {
        Paging.CheckIdSort(sort, q);
        var take = Paging.Limit(limit);
        var alpha2 = reference.CountryFilter(country);
        if (string.IsNullOrWhiteSpace(q))
        {
            var (_, after) = Paging.Parse(limit, cursor);
            return TypedResults.Ok(Paging.ToPage(http, await store.ListAsync(alpha2, after, take + 1, cancellationToken), take, p => p.Id));
        }

        Search.Check(q);
        var found = await store.SearchAsync(q, alpha2, Paging.DecodeScored(cursor), take + 1, cancellationToken);
        var page = Paging.ToPage(http, found, take, f => Paging.EncodeScored(f.Score, f.Product.Id));
        return TypedResults.Ok(new Page<ProductResponse>([.. page.Items.Select(f => f.Product)], page.NextCursor));
    }

    public static async Task<Results<Ok<ProductResponse>, StatusCodeHttpResult, ProblemHttpResult>> GetProduct(
        [Description("Product id.")] long id, ProductStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } product)
        {
            return NotFound(id);
        }

        return ETags.Tag(http, product.UpdatedAt) ? ETags.NotModified() : TypedResults.Ok(product);
    }

    public static async Task<Results<Created<ProductResponse>, ValidationProblem, ProblemHttpResult>> CreateProduct(
        ProductRequest request, ProductStore store, CancellationToken cancellationToken)
    {
        var created = await store.CreateAsync(ToWrite(request, existingSlug: null), cancellationToken);
        return TypedResults.Created($"/v1/products/{created.Id}", created);
    }

    public static async Task<Results<Ok<ProductResponse>, ValidationProblem, ProblemHttpResult>> ReplaceProduct(
        [Description("Product id.")] long id, ProductRequest request, ProductStore store, HttpContext http, CancellationToken cancellationToken)
    {
        return await store.GetAsync(id, cancellationToken) is not { } current
            ? NotFound(id)
            : Saved(await store.ReplaceAsync(id, ToWrite(request, current.Slug), ETags.Expected(http.Request), cancellationToken), http);
    }

    public static async Task<Results<Ok<ProductResponse>, ValidationProblem, ProblemHttpResult>> PatchProduct(
        [Description("Product id.")] long id, HttpRequest request, ProductStore store, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(id, cancellationToken) is not { } current)
        {
            return NotFound(id);
        }

        var (merged, problem) = await MergePatch.ApplyAsync(request, ToRequest(current), cancellationToken);
        if (problem is not null)
        {
            return problem is ValidationProblem v ? v : (ProblemHttpResult)problem;
        }

        return Saved(await store.ReplaceAsync(id, ToWrite(merged!, current.Slug), ETags.Expected(request), cancellationToken), request.HttpContext);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteProduct(
        [Description("Product id.")] long id, ProductStore store, HttpRequest request, CancellationToken cancellationToken) =>
        await store.DeleteAsync(id, ETags.Expected(request), cancellationToken) ? TypedResults.NoContent()
        : await store.GetAsync(id, cancellationToken) is null ? NotFound(id)
        : ETags.PreconditionFailed();

    /// <summary>The replaced product with its new ETag, or 412 when If-Match named an older version.</summary>
    private static Results<Ok<ProductResponse>, ValidationProblem, ProblemHttpResult> Saved(ProductResponse? replaced, HttpContext http)
    {
        if (replaced is null)
        {
            return ETags.PreconditionFailed();
        }

        ETags.Tag(http, replaced.UpdatedAt);
        return TypedResults.Ok(replaced);
    }

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound($"No product has the id {id}.");

    private static ProductWrite ToWrite(ProductRequest request, string? existingSlug)
    {
        var name = request.Name!.Trim();
        return new ProductWrite(request.Slug ?? existingSlug ?? Slugs.From(name), name, request.MakerId!.Value,
            request.Category?.Trim(), request.Description);
    }

    private static ProductRequest ToRequest(ProductResponse p) => new()
    {
        Name = p.Name,
        Slug = p.Slug,
        MakerId = p.MakerId,
        Category = p.Category,
        Description = p.Description,
    };
}
