using System.Globalization;
using Deals.Api.Acquisitions;
using Deals.Api.Common;

namespace Deals.Api.Imports;

/// <summary>A record that passed every rule, ready for the staging table.</summary>
public sealed record ImportDeal(
    long Line, string Buyer, string Target, PartialDate Announced, PartialDate? Closed, string? Status, string? Type,
    decimal? PriceAmount, string? PriceCurrency, string[] Products, string? BuyerCountry, string? TargetCountry,
    string? SourceUrl, string? Notes, string? Terms = null, string? Disposition = null,
    string? BuyerExternalId = null, string? TargetExternalId = null)
{

    /// <summary>About how many characters the record holds, to bound a batch by size as well as by rows.</summary>
    public int Size
    {
        get
        {
            var size = Buyer.Length + Target.Length + (SourceUrl?.Length ?? 0) + (Notes?.Length ?? 0)
                + (BuyerExternalId?.Length ?? 0) + (TargetExternalId?.Length ?? 0) + 64;
            foreach (var product in Products)
            {
                size += product.Length;
            }

            return size;
        }
    }
}

/// <summary>The API's rules for a deal, applied to one imported record; the first broken rule rejects it.</summary>
/// <remarks><paramref name="registry"/> names the registry of the rows' <c>buyer_external_id</c> and <c>target_external_id</c>.</remarks>
public sealed class ImportRules(ReferenceData reference, TimeProvider clock, string? defaultCurrency, string? registry = null)
{
    private readonly DateOnly _latest = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddYears(1);

    public (ImportDeal? Deal, Rejection? Rejection) Check(ImportRecord r)
    {
        Rejection Reject(string field, string reason) => new(r.Line, field, r[field], reason);

        if (r.Fault is not null)
        {
            return (null, r.Fault);
        }

        foreach (var column in new[] { "buyer", "target" })
        {
            var name = r[column];
            if (name is null)
            {
                return (null, Reject(column, "Required: the company's name or slug."));
            }

            if (name.Length > 200 || !Validation.IsPlainText(name))
            {
                return (null, Reject(column, "A name is plain text of at most 200 characters."));
            }
        }

        foreach (var column in new[] { "buyer_external_id", "target_external_id" })
        {
            if (r[column] is not { } id)
            {
                continue;
            }

            if (registry is null)
            {
                return (null, Reject(column, "Name the registry these ids belong to with the registry parameter (for example registry=crunchbase)."));
            }

            if (id.Length > 200 || !Validation.IsPlainText(id))
            {
                return (null, Reject(column, "An external id is plain text of at most 200 characters."));
            }
        }

        // Ids in the registry tell companies apart even when their names agree; without both ids, the names decide.
        var (buyerId, targetId) = (r["buyer_external_id"], r["target_external_id"]);
        if (buyerId is not null && targetId is not null ? buyerId == targetId : Key(r["buyer"]!) == Key(r["target"]!))
        {
            return (null, Reject(buyerId is not null && targetId is not null ? "target_external_id" : "target", "The buyer and the target are the same company."));
        }

        if (r["announced_on"] is not { } announcedText)
        {
            return (null, Reject("announced_on", "Required: a date (YYYY, YYYY-MM or YYYY-MM-DD)."));
        }

        if (!PartialDate.TryParse(announcedText, out var announced))
        {
            return (null, Reject("announced_on", $"Not a date: use {PartialDate.FormatDescription}, a real calendar date without a time."));
        }

        if (announced.Start < PartialDate.Earliest || announced.Start > _latest)
        {
            return (null, Reject("announced_on", "Out of range: not before 1800, nor more than a year from today."));
        }

        PartialDate? closed = null;
        if (r["closed_on"] is { } closedText)
        {
            if (!PartialDate.TryParse(closedText, out var c) || c.Start > _latest)
            {
                return (null, Reject("closed_on", $"Not a date: use {PartialDate.FormatDescription}, at most a year from today."));
            }

            if (c.End < announced.Start)
            {
                return (null, Reject("closed_on", "Before the announcement date."));
            }

            closed = c;
        }

        var (status, badStatus) = OneOf<AcquisitionStatus>(r, "status");
        var (type, badType) = OneOf<DealType>(r, "type");
        var (terms, badTerms) = OneOf<DealTerms>(r, "terms");
        var (disposition, badDisposition) = OneOf<Disposition>(r, "disposition");
        if ((badStatus ?? badType ?? badTerms ?? badDisposition) is { } badValue)
        {
            return (null, badValue);
        }

        decimal? amount = null;
        string? currency = null;
        if (r["price_amount"] is { } amountText && amountText is not ("-" or "—" or "–"))
        {
            if (!decimal.TryParse(amountText, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var a))
            {
                return (null, Reject("price_amount", "Not a plain number (digits and a decimal point; the CLI's --parse-prices reads forms like '$107 million')."));
            }

            if (a <= 0)
            {
                return (null, Reject("price_amount", "Must be greater than 0; leave it empty for an undisclosed price."));
            }

            if (decimal.Round(a, 2) != a)
            {
                return (null, Reject("price_amount", "At most 2 decimals (nothing is rounded)."));
            }

            if (a >= AcquisitionRequestValidator.MaxAmount)
            {
                return (null, Reject("price_amount", "Must be below 10^15."));
            }

            currency = r["price_currency"]?.ToUpperInvariant() ?? defaultCurrency;
            if (currency is null)
            {
                return (null, Reject("price_currency", "A price needs a currency (or import with defaultCurrency)."));
            }

            if (!reference.IsCurrency(currency))
            {
                return (null, Reject("price_currency", "Not an active ISO 4217 currency code."));
            }

            amount = a;
        }

        string? Country(string column, out Rejection? rejection)
        {
            rejection = null;
            if (r[column] is not { } code)
            {
                return null;
            }

            var alpha2 = reference.Country(code);
            if (alpha2 is null)
            {
                rejection = Reject(column, "Not an ISO 3166-1 alpha-2 or alpha-3 country code.");
            }

            return alpha2;
        }

        var buyerCountry = Country("buyer_country", out var bad1);
        var targetCountry = Country("target_country", out var bad2);
        if ((bad1 ?? bad2) is { } badCountry)
        {
            return (null, badCountry);
        }

        var source = r["source_url"];
        if (source is not null && !Validation.IsHttpUrl(source))
        {
            return (null, Reject("source_url", "Not an absolute http or https URL."));
        }

        var notes = r["notes"];
        if (notes is not null && (notes.Length > 4000 || !Validation.IsPlainText(notes)))
        {
            return (null, Reject("notes", "Plain text of at most 4000 characters."));
        }

        var products = (r["products"] ?? "").Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
        if (products.Any(p => p.Length > 200 || !Validation.IsPlainText(p)))
        {
            return (null, Reject("products", "Product names are plain text of at most 200 characters, separated by '|'."));
        }

        return (new ImportDeal(r.Line, r["buyer"]!, r["target"]!, announced, closed, status, type, amount, currency, products,
            buyerCountry, targetCountry, source, notes, terms, disposition, buyerId, targetId), null);
    }

    /// <summary>A column naming one of <typeparamref name="T"/>'s members (lower-cased), or the rejection saying which are allowed.</summary>
    private static (string? Value, Rejection? Rejection) OneOf<T>(ImportRecord r, string column)
        where T : struct, Enum
    {
        var value = r[column]?.ToLowerInvariant();
        return value is null || KebabEnum<T>.TryParse(value, out _)
            ? (value, null)
            : (null, new Rejection(r.Line, column, r[column], $"Expected one of: {string.Join(", ", KebabEnum<T>.Names)}."));
    }

    /// <summary>The same normalised key as the database's name_key(): letters and digits, lower-cased.</summary>
    public static string Key(string name)
    {
        var key = new string([.. name.Where(char.IsLetterOrDigit)]).ToLowerInvariant();
        return key.Length > 0 ? key : name.ToLowerInvariant();
    }
}
