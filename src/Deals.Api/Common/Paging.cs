using System.Buffers.Text;
using System.Text;

namespace Deals.Api.Common;

/// <summary>A page of a list: the items and the opaque cursor of the next page, or null on the last one.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Keyset pagination by id: a page asks for ids above the cursor's, so deep pages cost what the
/// first does and rows added meanwhile are neither skipped nor repeated.
/// </summary>
public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;
    private const string Prefix = "id:";

    /// <summary>Checks <c>limit</c> and decodes <c>cursor</c>: the id to continue after (0 for the first page).</summary>
    public static (int Limit, long After) Parse(int? limit, string? cursor)
    {
        var l = limit ?? DefaultLimit;
        if (l is < 1 or > MaxLimit)
        {
            throw new RequestValidationException("limit", $"Must be between 1 and {MaxLimit}.");
        }

        return (l, cursor is null ? 0 : Decode(cursor));
    }

    public static string Encode(long id) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(Prefix + id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static long Decode(string cursor)
    {
        try
        {
            var text = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(text.AsSpan(Prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                return id;
            }
        }
        catch (FormatException)
        {
        }

        throw new RequestValidationException("cursor", "The cursor is not valid; use the nextCursor of a previous page unchanged.");
    }

    /// <summary>Turns one row more than the limit into the next cursor, and sets the <c>Link: rel="next"</c> header.</summary>
    public static Page<T> ToPage<T>(HttpContext http, List<T> rows, int limit, Func<T, long> id)
    {
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            next = Encode(id(rows[^1]));
            var request = http.Request;
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString.Value);
            query["cursor"] = next;
            var qs = Microsoft.AspNetCore.Http.QueryString.Create(query.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v))));
            http.Response.Headers.Append("Link", $"<{request.PathBase}{request.Path}{qs}>; rel=\"next\"");
        }

        return new Page<T>(rows, next);
    }
}
