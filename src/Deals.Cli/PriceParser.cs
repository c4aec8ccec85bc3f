using System.Globalization;
using System.Text.RegularExpressions;

namespace Deals.Cli;

/// <summary>
/// Reads prices as people write them: <c>$107 million</c>, <c>1,350,000,000</c>, <c>7.5×10^9</c>,
/// <c>USD 34 billion</c>, <c>€4.8bn</c>; <c>—</c>, <c>-</c>, <c>n/a</c>, <c>undisclosed</c> or nothing
/// mean undisclosed. Never guesses: anything else is an error for the row.
/// </summary>
public static partial class PriceParser
{
    private static readonly Dictionary<string, decimal> Scales = new(StringComparer.OrdinalIgnoreCase)
    {
        ["k"] = 1e3m, ["thousand"] = 1e3m, ["m"] = 1e6m, ["mm"] = 1e6m, ["mn"] = 1e6m, ["mio"] = 1e6m, ["million"] = 1e6m, ["millions"] = 1e6m,
        ["b"] = 1e9m, ["bn"] = 1e9m, ["billion"] = 1e9m, ["billions"] = 1e9m, ["t"] = 1e12m, ["tn"] = 1e12m, ["trillion"] = 1e12m,
    };

    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["$"] = "USD", ["US$"] = "USD", ["€"] = "EUR", ["£"] = "GBP", ["¥"] = "JPY", ["₹"] = "INR", ["C$"] = "CAD", ["A$"] = "AUD",
    };

    /// <summary>Undisclosed (null amount), an amount with the currency it names (if any), or an error.</summary>
    public static (decimal? Amount, string? Currency, string? Error) Parse(string? text)
    {
        var s = (text ?? "").Trim();
        if (s.Length == 0 || s is "-" or "—" or "–" or "?" || s.Equals("n/a", StringComparison.OrdinalIgnoreCase)
            || s.Equals("undisclosed", StringComparison.OrdinalIgnoreCase) || s.Equals("unknown", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null, null);
        }

        var m = Pattern().Match(s);
        if (!m.Success)
        {
            return (null, null, $"'{text}' is not a price this tool can read.");
        }

        var currency = m.Groups["symbol"].Success ? Symbols[m.Groups["symbol"].Value]
            : m.Groups["code"].Success ? m.Groups["code"].Value.ToUpperInvariant()
            : m.Groups["code2"].Success ? m.Groups["code2"].Value.ToUpperInvariant() : null;
        var digits = m.Groups["number"].Value;
        // A comma is a thousands separator when it groups three digits; a number like "4,8" is ambiguous and refused.
        if (digits.Contains(',', StringComparison.Ordinal))
        {
            if (!Grouped().IsMatch(digits))
            {
                return (null, null, $"'{text}' has commas that do not group thousands.");
            }

            digits = digits.Replace(",", "", StringComparison.Ordinal);
        }

        var amount = decimal.Parse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        if (m.Groups["exponent"].Success)
        {
            var exponent = int.Parse(m.Groups["exponent"].Value, CultureInfo.InvariantCulture);
            if (exponent > 15)
            {
                return (null, null, $"'{text}' is too large.");
            }

            for (var i = 0; i < exponent; i++)
            {
                amount *= 10;
            }
        }

        if (m.Groups["scale"].Success)
        {
            amount *= Scales[m.Groups["scale"].Value];
        }

        return amount <= 0 ? (null, null, $"'{text}' is not above zero.")
            : decimal.Round(amount, 2) != amount ? (null, null, $"'{text}' has more than 2 decimals.")
            : (amount, currency, null);
    }

    [GeneratedRegex(@"^(?:(?<symbol>US\$|C\$|A\$|\$|€|£|¥|₹)|(?<code>[A-Za-z]{3})\s+)?\s*(?<number>\d[\d,]*(?:\.\d+)?)\s*(?:(?:x|×|\*)\s*10\s*\^\s*(?<exponent>\d{1,2}))?\s*(?<scale>k|thousand|mm|mn|mio|m|millions|million|bn|billions|billion|b|tn|trillion|t)?\.?\s*(?<code2>[A-Za-z]{3})?$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    [GeneratedRegex(@"^\d{1,3}(,\d{3})+(\.\d+)?$")]
    private static partial Regex Grouped();
}
