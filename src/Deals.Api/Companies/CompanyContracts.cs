using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Deals.Api.Companies;

/// <summary>A company as stored: the buyer or target of deals, the maker or owner of products.</summary>
/// <param name="Id">Server-assigned id.</param>
/// <param name="Slug">Stable public key, usable in place of the id in URLs.</param>
/// <param name="Name">Display name.</param>
/// <param name="Aliases">Other names it is known by; used by search and import matching.</param>
/// <param name="ExternalIds">Ids in other registries, by registry name.</param>
/// <param name="Country">ISO 3166-1 alpha-2 code.</param>
/// <param name="Website">Absolute http(s) URL.</param>
/// <param name="Description">Free text.</param>
/// <param name="CreatedAt">When the record was created (UTC).</param>
/// <param name="UpdatedAt">When the record last changed (UTC).</param>
public sealed record CompanyResponse(
    long Id,
    string Slug,
    string Name,
    IReadOnlyList<string> Aliases,
    IReadOnlyDictionary<string, string> ExternalIds,
    string? Country,
    string? Website,
    string? Description,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A company to create, or the full new state of one to replace.</summary>
public sealed record CompanyRequest
{
    /// <summary>Display name, 1–200 characters after trimming.</summary>
    [Required]
    [MaxLength(200)]
    public string? Name { get; init; }

    /// <summary>Lower-case <c>a-z0-9-</c>. Derived from the name when omitted on create, kept as it is when omitted on replace.</summary>
    [MaxLength(200)]
    [RegularExpression("^[a-z0-9]+(-[a-z0-9]+)*$")]
    public string? Slug { get; init; }

    /// <summary>Other names it is known by (at most 50, each 1–200 characters).</summary>
    [MaxLength(50)]
    public IReadOnlyList<string>? Aliases { get; init; }

    /// <summary>Ids in other registries: registry name (<c>a-z0-9_.-</c>) → id (1–200 characters). Each id belongs to one company per registry.</summary>
    public IReadOnlyDictionary<string, string>? ExternalIds { get; init; }

    /// <summary>ISO 3166-1 alpha-2 or alpha-3 code, in any case; stored as alpha-2.</summary>
    [MaxLength(3)]
    public string? Country { get; init; }

    /// <summary>Absolute http or https URL.</summary>
    [MaxLength(2000)]
    public string? Website { get; init; }

    /// <summary>At most 2000 characters.</summary>
    [MaxLength(2000)]
    public string? Description { get; init; }
}

/// <summary>The short form of a company that other resources embed.</summary>
/// <param name="Id">Company id.</param>
/// <param name="Slug">Company slug.</param>
/// <param name="Name">Company name.</param>
public sealed record CompanySummary(long Id, string Slug, string Name);

/// <summary>A company id or slug in a URL.</summary>
[Description("A company id (`42`) or slug (`red-hat`).")]
public readonly record struct CompanyKey(long? Id, string? Slug)
{
    /// <summary>Slugs are stored lower-case, so <c>Red-Hat</c> names <c>red-hat</c> (answered, not redirected).</summary>
    public static CompanyKey Parse(string idOrSlug) =>
        long.TryParse(idOrSlug, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? new CompanyKey(id, null)
            : new CompanyKey(null, idOrSlug.ToLowerInvariant());

    /// <summary>
    /// False for a slug no company can have (stored slugs are checked against <see cref="Common.Slugs.IsValid"/>): such a key
    /// names no company, and is never sent to PostgreSQL, which would refuse some of them (text with NUL).
    /// </summary>
    public bool CanExist => Id is not null || (Slug is not null && Common.Slugs.IsValid(Slug));

    public override string ToString() => Id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Slug ?? "";
}

/// <summary>Which company to fold into the one in the URL.</summary>
public sealed record MergeRequest
{
    /// <summary>The duplicate's id or slug; it is deleted once merged.</summary>
    [Required]
    [MaxLength(200)]
    public string? Duplicate { get; init; }
}
