using System.ComponentModel.DataAnnotations;

namespace Deals.Api.Products;

/// <summary>A product: made by one company, possibly carried to others by acquisitions.</summary>
/// <param name="Id">Server-assigned id.</param>
/// <param name="Slug">Public key, unique among the maker's products.</param>
/// <param name="Name">Display name.</param>
/// <param name="MakerId">The company that made it originally.</param>
/// <param name="OwnerId">Derived: the buyer of the latest completed acquisition that carried the product, else the maker.</param>
/// <param name="Category">Free-form category, such as `database`.</param>
/// <param name="Description">Free text.</param>
/// <param name="CreatedAt">When the record was created (UTC).</param>
/// <param name="UpdatedAt">When the record last changed (UTC).</param>
public sealed record ProductResponse(
    long Id,
    string Slug,
    string Name,
    long MakerId,
    long OwnerId,
    string? Category,
    string? Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A product to create, or the full new state of one to replace.</summary>
public sealed record ProductRequest
{
    /// <summary>Display name, 1–200 characters after trimming.</summary>
    [Required]
    [MaxLength(200)]
    public string? Name { get; init; }

    /// <summary>Lower-case <c>a-z0-9-</c>, unique per maker. Derived from the name when omitted on create, kept when omitted on replace.</summary>
    [MaxLength(200)]
    [RegularExpression("^[a-z0-9]+(-[a-z0-9]+)*$")]
    public string? Slug { get; init; }

    /// <summary>Id of the company that made it.</summary>
    [Required]
    public long? MakerId { get; init; }

    /// <summary>At most 100 characters.</summary>
    [MaxLength(100)]
    public string? Category { get; init; }

    /// <summary>At most 2000 characters.</summary>
    [MaxLength(2000)]
    public string? Description { get; init; }
}

/// <summary>The short form of a product that acquisitions embed.</summary>
/// <param name="Id">Product id.</param>
/// <param name="Slug">Product slug.</param>
/// <param name="Name">Product name.</param>
public sealed record ProductSummary(long Id, string Slug, string Name);

/// <summary>One owner in a product's history.</summary>
/// <param name="Company">The owner.</param>
/// <param name="Since">From when (the deal's closing date, else its announcement); null for the maker.</param>
/// <param name="Via">The completed deal that carried the product to it; null for the maker.</param>
public sealed record Ownership(Companies.CompanySummary Company, Common.PartialDate? Since, Companies.DealSummary? Via);

/// <summary>Who has owned a product, oldest first: its maker, then each buyer of a completed deal that carried it.</summary>
/// <param name="Product">The product.</param>
/// <param name="Owners">Owners over time; the last is the current owner.</param>
public sealed record ProductOwners(ProductSummary Product, IReadOnlyList<Ownership> Owners);
