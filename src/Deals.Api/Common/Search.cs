using System.Text;

namespace Deals.Api.Common;

/// <summary>The rules of a search text (<c>q</c>), the same for every list.</summary>
public static class Search
{
    public const int MaxLength = 200;

    /// <summary>A LIKE pattern for a lower-cased column: values that contain <paramref name="q"/> as typed (%, _ and \ match themselves).</summary>
    public static string ContainsPattern(string q)
    {
        var text = q.Trim().ToLowerInvariant();
        var pattern = new StringBuilder(text.Length + 2).Append('%');
        foreach (var c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                pattern.Append('\\');
            }

            pattern.Append(c);
        }

        return pattern.Append('%').ToString();
    }

    /// <summary>
    /// Whether a name that resembles <paramref name="text"/> (pg_trgm's <c>%</c>: a similarity of at least 0.3, PostgreSQL's
    /// default, which Deals never changes) must also contain it, so that a search needs only the substring. True for one or
    /// two ASCII letters or digits: such a text's trigrams are its word's start, its whole and its end, and a name sharing
    /// only the start (a word beginning with its first letter) scores at most 0.25. Checked over 13 million pairs of names
    /// and such texts on 1M generated deals, and by <c>QueryPlanTests</c> on every test run. Resemblance is the costly test, and for so short a text no index serves it: searching 200,000
    /// companies for <c>an</c> computed it for every name (0.4 s of PostgreSQL's time).
    /// </summary>
    public static bool ResemblanceImpliesSubstring(string text) => text.Length <= 2 && text.All(char.IsAsciiLetterOrDigit);

    /// <summary>
    /// The parameters of a company or product search (their <c>SearchSql</c>) for <paramref name="q"/>, of makers or
    /// companies in <paramref name="country"/> when given, after the cursor's score and id.
    /// </summary>
    public static SearchParameters Parameters(string q, string? country, (float Score, long Id) after, int take)
    {
        var text = q.Trim().ToLowerInvariant();
        return new SearchParameters(text, ContainsPattern(text), !ResemblanceImpliesSubstring(text), country, after.Score, after.Id, take);
    }

    public static void Check(string q)
    {
        if (q.Length > MaxLength || !Validation.IsPlainText(q))
        {
            throw new RequestValidationException("q", $"Expected plain text of at most {MaxLength} characters.");
        }
    }
}

/// <summary>A search statement's parameters (see <see cref="Search.Parameters"/>).</summary>
public sealed record SearchParameters(string Q, string Like, bool Fuzzy, string? Country, float AfterScore, long After, int Take);
