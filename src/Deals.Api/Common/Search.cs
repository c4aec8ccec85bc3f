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

    public static void Check(string q)
    {
        if (q.Length > MaxLength || !Validation.IsPlainText(q))
        {
            throw new RequestValidationException("q", $"Expected plain text of at most {MaxLength} characters.");
        }
    }
}
