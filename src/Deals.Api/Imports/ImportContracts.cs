using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Deals.Api.Imports;

/// <summary>Why one input row was not imported.</summary>
/// <param name="Line">The row's line in the file (CSV and NDJSON; the header is line 1 of a CSV), or its position in a JSON array (from 1).</param>
/// <param name="Field">The canonical column at fault (as the record names it), or `record` for the row as a whole: a CSV row with more or fewer values than the header (its text is the value), a JSON record that is not an object.</param>
/// <param name="Value">The value found there.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record Rejection(long Line, string Field, string? Value, string Reason);

/// <summary>What an import did with every input row: rows = created + updated + unchanged + rejected.</summary>
/// <param name="DryRun">True when nothing was written (dryRun, or atomic with rejections).</param>
/// <param name="Rows">Input rows read.</param>
/// <param name="Created">Deals created.</param>
/// <param name="Updated">Rows that changed an existing deal (or were superseded by a later row for the same deal).</param>
/// <param name="Unchanged">Rows that matched a deal and changed nothing.</param>
/// <param name="Rejected">Rows refused; each is in <c>rejections</c>.</param>
/// <param name="CompaniesCreated">Companies created because no company matched a name.</param>
/// <param name="ProductsCreated">Products created because the target had none of that name.</param>
/// <param name="Rejections">Each refused row: line, field, value and reason.</param>
public sealed record ImportReport(
    bool DryRun, long Rows, long Created, long Updated, long Unchanged, long Rejected,
    long CompaniesCreated, long ProductsCreated, IReadOnlyList<Rejection> Rejections);

/// <summary>
/// One deal record of an import, as an element of the JSON array form; CSV columns and NDJSON
/// fields have the same names. Companies are named, not referenced by id: they are matched or created.
/// </summary>
/// <param name="Buyer">The acquiring company's name, slug or alias.</param>
/// <param name="Target">The acquired company's name, slug or alias.</param>
/// <param name="AnnouncedOn">Announcement date, `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.</param>
/// <param name="ClosedOn">Closing date, as precise as known.</param>
/// <param name="Status">announced, pending, completed (default) or terminated.</param>
/// <param name="Type">acquisition (default), merger, acquihire, asset-purchase or majority-stake.</param>
/// <param name="PriceAmount">Price in major units; empty for undisclosed.</param>
/// <param name="PriceCurrency">ISO 4217 code of the price.</param>
/// <param name="Products">Products of the target the deal carried, separated by `|` (a JSON array of names also works).</param>
/// <param name="BuyerCountry">The buyer's country (ISO 3166 alpha-2 or alpha-3), used when it is created.</param>
/// <param name="TargetCountry">The target's country, used when it is created.</param>
/// <param name="SourceUrl">Where the deal is reported (http or https).</param>
/// <param name="Notes">Free text, at most 4,000 characters.</param>
/// <param name="Terms">cash, stock or cash-and-stock.</param>
/// <param name="Disposition">What became of the target: subsidiary (default), division, merged or product-only.</param>
/// <param name="BuyerExternalId">The buyer's id in the registry the import names (`?registry=crunchbase`): matched before any name.</param>
/// <param name="TargetExternalId">The target's id in that registry.</param>
public sealed record DealRecord(
    [property: JsonPropertyName("buyer"), Required, MaxLength(200)] string Buyer,
    [property: JsonPropertyName("target"), Required, MaxLength(200)] string Target,
    [property: JsonPropertyName("announced_on"), Required, MaxLength(10), RegularExpression(@"^\d{4}(-\d{2}(-\d{2})?)?$")] string AnnouncedOn,
    [property: JsonPropertyName("closed_on"), MaxLength(10), RegularExpression(@"^\d{4}(-\d{2}(-\d{2})?)?$")] string? ClosedOn = null,
    [property: JsonPropertyName("status"), MaxLength(20)] string? Status = null,
    [property: JsonPropertyName("type"), MaxLength(20)] string? Type = null,
    [property: JsonPropertyName("price_amount"), Range(0.01, 999_999_999_999_999.99)] decimal? PriceAmount = null,
    [property: JsonPropertyName("price_currency"), MaxLength(3)] string? PriceCurrency = null,
    [property: JsonPropertyName("products"), MaxLength(4000)] string? Products = null,
    [property: JsonPropertyName("buyer_country"), MaxLength(3)] string? BuyerCountry = null,
    [property: JsonPropertyName("target_country"), MaxLength(3)] string? TargetCountry = null,
    [property: JsonPropertyName("source_url"), MaxLength(2000)] string? SourceUrl = null,
    [property: JsonPropertyName("notes"), MaxLength(4000)] string? Notes = null,
    [property: JsonPropertyName("terms"), MaxLength(20)] string? Terms = null,
    [property: JsonPropertyName("disposition"), MaxLength(20)] string? Disposition = null,
    [property: JsonPropertyName("buyer_external_id"), MaxLength(200)] string? BuyerExternalId = null,
    [property: JsonPropertyName("target_external_id"), MaxLength(200)] string? TargetExternalId = null);
