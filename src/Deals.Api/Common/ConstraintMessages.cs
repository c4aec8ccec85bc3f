using System.Text.RegularExpressions;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>What each database constraint means to a user, for the 409 and 400 problems it turns into.</summary>
public static partial class ConstraintMessages
{
    private static readonly Dictionary<string, (string Field, string Message)> Known = new(StringComparer.Ordinal)
    {
        ["companies_slug_key"] = ("slug", "A company with this slug already exists"),
        ["company_external_ids_registry_external_id_key"] = ("externalIds", "Another company already has this external id"),
        ["company_aliases_pkey"] = ("aliases", "The alias is listed twice"),
        ["products_maker_id_slug_key"] = ("slug", "This maker already has a product with this slug"),
        ["products_maker_id_fkey"] = ("makerId", "The maker does not exist"),
        ["acquisitions_buyer_id_target_id_announced_on_key"] = ("announcedOn", "An acquisition with the same buyer, target and announcement date already exists"),
        ["acquisitions_buyer_id_fkey"] = ("buyerId", "The buyer does not exist"),
        ["acquisitions_target_id_fkey"] = ("targetId", "The target does not exist"),
        ["acquisition_products_product_id_fkey"] = ("productIds", "A product does not exist, or is still carried by an acquisition"),
        ["acquisitions_buyer_differs_from_target"] = ("targetId", "The buyer and the target must be different companies"),
        ["acquisitions_price_complete"] = ("price", "A price needs both an amount and a currency"),
        ["acquisitions_closed_not_before_announced"] = ("closedOn", "The closing date is before the announcement date"),
    };

    /// <summary>The request field a violated constraint is about, or <c>body</c>.</summary>
    public static string Field(PostgresException e) =>
        e.ConstraintName is { } name && Known.TryGetValue(name, out var known) ? known.Field : "body";

    /// <summary>A sentence naming the conflict, with the key values PostgreSQL reports.</summary>
    public static string Describe(PostgresException e)
    {
        if (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.Detail is { } d && d.Contains("is still referenced", StringComparison.Ordinal))
        {
            var table = ReferencedFrom().Match(d).Groups["table"].Value;
            return $"The {Referenced(e.ConstraintName)} is still referenced by {table.Replace('_', ' ')}; remove or reassign those first.";
        }

        // Raised by the trigger of migration 0026, whose message names the other deal and both dates.
        if (e.SqlState == PostgresErrorCodes.ExclusionViolation && e.ConstraintName == "acquisitions_announced_overlap")
        {
            return Sentence(e.MessageText) + ".";
        }

        var message = e.ConstraintName is { } name && Known.TryGetValue(name, out var known)
            ? known.Message
            : $"The data breaks the rule {e.ConstraintName ?? e.SqlState}";
        var key = KeyValues().Match(e.Detail ?? "");
        return key.Success ? $"{message}: {key.Groups["columns"].Value} = {key.Groups["values"].Value}." : message + ".";
    }

    /// <summary>A message the database raised (lower-case, as PostgreSQL writes them) as the start of a sentence.</summary>
    public static string Sentence(string message) => char.ToUpperInvariant(message[0]) + message[1..];

    // The violated foreign key belongs to the referencing table; its column says what is referenced.
    private static string Referenced(string? constraint) => constraint switch
    {
        { } c when c.Contains("maker_id", StringComparison.Ordinal) || c.Contains("buyer_id", StringComparison.Ordinal) ||
                   c.Contains("target_id", StringComparison.Ordinal) || c.Contains("company_id", StringComparison.Ordinal) => "company",
        { } c when c.Contains("product_id", StringComparison.Ordinal) => "product",
        { } c when c.Contains("acquisition_id", StringComparison.Ordinal) => "acquisition",
        _ => "record",
    };

    [GeneratedRegex(@"Key \((?<columns>.+?)\)=\((?<values>.*)\) (already exists|is not present)")]
    private static partial Regex KeyValues();

    [GeneratedRegex(@"referenced from table ""(?<table>[^""]+)""")]
    private static partial Regex ReferencedFrom();
}
