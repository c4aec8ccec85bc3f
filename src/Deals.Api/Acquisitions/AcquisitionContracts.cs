using System.ComponentModel.DataAnnotations;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Products;

namespace Deals.Api.Acquisitions;

public enum AcquisitionStatus
{
    Announced,
    Pending,
    Completed,
    Terminated,
}

public enum DealType
{
    Acquisition,
    Merger,
    Acquihire,
    AssetPurchase,
    MajorityStake,
}

public enum DealTerms
{
    Cash,
    Stock,
    CashAndStock,
}

/// <summary>What became of the target after the deal.</summary>
public enum Disposition
{
    Subsidiary,
    Division,
    Merged,
    ProductOnly,
}

/// <summary>A disclosed price.</summary>
/// <param name="Amount">Greater than 0, at most 2 decimals, below 10^15.</param>
/// <param name="Currency">Active ISO 4217 code, such as `USD`.</param>
public sealed record Money(decimal Amount, string Currency);

/// <summary>A price as sent: both fields are required when the price is given at all.</summary>
public sealed record MoneyRequest
{
    /// <summary>Greater than 0, at most 2 decimals, below 10^15.</summary>
    [Required]
    [Range(0.01, 999999999999999.99)]
    public decimal? Amount { get; init; }

    /// <summary>Active ISO 4217 code, such as <c>USD</c>.</summary>
    [Required]
    [StringLength(3, MinimumLength = 3)]
    public string? Currency { get; init; }
}

/// <summary>A deal: who bought whom, when, for how much, and which products changed hands.</summary>
/// <param name="Id">Server-assigned id.</param>
/// <param name="BuyerId">The acquiring company.</param>
/// <param name="TargetId">The acquired company.</param>
/// <param name="Buyer">Summary of the buyer.</param>
/// <param name="Target">Summary of the target.</param>
/// <param name="AnnouncedOn">Partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as precise as it was given.</param>
/// <param name="ClosedOn">Partial date the deal closed, if known.</param>
/// <param name="Status">Where the deal stands.</param>
/// <param name="Price">The price, or null when undisclosed (never 0).</param>
/// <param name="Type">Kind of deal.</param>
/// <param name="Terms">How it was paid for, if known.</param>
/// <param name="Disposition">What became of the target.</param>
/// <param name="ProductIds">Products that changed hands in this deal.</param>
/// <param name="Products">Summaries of those products.</param>
/// <param name="SourceUrl">Where the record comes from.</param>
/// <param name="Notes">Free text.</param>
/// <param name="CreatedAt">When the record was created (UTC).</param>
/// <param name="UpdatedAt">When the record last changed (UTC).</param>
public sealed record AcquisitionResponse(
    long Id,
    long BuyerId,
    long TargetId,
    CompanySummary Buyer,
    CompanySummary Target,
    PartialDate AnnouncedOn,
    PartialDate? ClosedOn,
    AcquisitionStatus Status,
    Money? Price,
    DealType Type,
    DealTerms? Terms,
    Disposition? Disposition,
    IReadOnlyList<long> ProductIds,
    IReadOnlyList<ProductSummary> Products,
    string? SourceUrl,
    string? Notes,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A deal to record, or the full new state of one to replace.</summary>
public sealed record AcquisitionRequest
{
    /// <summary>Id of the acquiring company.</summary>
    [Required]
    public long? BuyerId { get; init; }

    /// <summary>Id of the acquired company; must differ from the buyer.</summary>
    [Required]
    public long? TargetId { get; init; }

    /// <summary><c>YYYY</c>, <c>YYYY-MM</c> or <c>YYYY-MM-DD</c>; not before 1800 nor more than a year ahead.</summary>
    [Required]
    public PartialDate? AnnouncedOn { get; init; }

    /// <summary>Same format; not before the announcement.</summary>
    public PartialDate? ClosedOn { get; init; }

    /// <summary>Defaults to <c>completed</c>.</summary>
    public AcquisitionStatus? Status { get; init; }

    /// <summary>The price; omit it or send null when undisclosed (never 0).</summary>
    public MoneyRequest? Price { get; init; }

    /// <summary>Defaults to <c>acquisition</c>.</summary>
    public DealType? Type { get; init; }

    /// <summary>How it was paid for, if known.</summary>
    public DealTerms? Terms { get; init; }

    /// <summary>Defaults to <c>subsidiary</c>.</summary>
    public Disposition? Disposition { get; init; }

    /// <summary>Products that changed hands; each must be made by the target or carried to it by an earlier deal (at most 100).</summary>
    [MaxLength(100)]
    public IReadOnlyList<long>? ProductIds { get; init; }

    /// <summary>Absolute http or https URL of the source.</summary>
    [MaxLength(2000)]
    public string? SourceUrl { get; init; }

    /// <summary>At most 4000 characters.</summary>
    [MaxLength(4000)]
    public string? Notes { get; init; }
}
