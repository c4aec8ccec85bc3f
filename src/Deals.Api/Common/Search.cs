namespace Deals.Api.Common;

/// <summary>The rules of a search text (<c>q</c>), the same for every list.</summary>
public static class Search
{
    public const int MaxLength = 200;

    public static void Check(string q)
    {
        if (q.Length > MaxLength || !Validation.IsPlainText(q))
        {
            throw new RequestValidationException("q", $"Expected plain text of at most {MaxLength} characters.");
        }
    }
}
