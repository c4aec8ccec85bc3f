namespace Deals.Api.Imports;

/// <summary>
/// Why a record cannot be read without guessing, in the same words from the API's import and the <c>deals</c>
/// command line (which compiles this file too: it reads files before the API sees them).
/// </summary>
internal static class RecordFaults
{
    public static string Repeated(IEnumerable<string> columns) =>
        $"Repeated column(s) in the header: {string.Join(", ", columns)}. Each column may appear once (names are compared ignoring case and surrounding spaces).";

    /// <summary>A CSV row with more or fewer values than the header: which value belongs to which column is a guess.</summary>
    public static string Width(int values, int columns, ReadOnlySpan<char> raw) =>
        $"This row has {values} values where the header has {columns}: quote values that hold a comma, and give every column (empty ones too)."
        + (raw.Contains('\n') ? " It spans several lines: is a quote left open?" : "");

    public const string BadQuote =
        "A quoted value is never closed, or goes on after its closing quote (\"Acme\" Inc would read as Acme Inc): quote the whole value and double the quotes in it (\"\"\"Acme\"\" Inc\").";

    public static string Twice(string name) =>
        $"The record gives {name} more than once (names are compared ignoring case): which one to import is unclear.";

    /// <summary>An escaped half of a surrogate pair (<c>"\ud800"</c>) is no character: such a string cannot be read.</summary>
    public const string HalfSurrogate = "Not valid text: an escape such as \\ud800 names half of a character.";
}
