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
    public static (int Limit, long After) Parse(int? limit, string? cursor) =>
        (Limit(limit), cursor is null ? 0 : Decode(cursor));

    /// <summary>The <c>sort</c> of a list kept in id order, documented once for each such list.</summary>
    public const string IdSortDescription = "`id`, the only order of this list (the default).";

    /// <summary>
    /// Checks <c>sort</c> on a list kept in id order (or, with <paramref name="q"/>, best match first): anything but
    /// <c>id</c> is a 400 naming the allowed field, rather than an order silently not applied. <paramref name="hint"/>
    /// says where a sorted list of the same rows is.
    /// </summary>
    public static void CheckIdSort(string? sort, string? q = null, string? hint = null)
    {
        if (string.IsNullOrWhiteSpace(sort) || (sort.Trim() == "id" && string.IsNullOrWhiteSpace(q)))
        {
            return;
        }

        throw new RequestValidationException("sort", string.IsNullOrWhiteSpace(q)
            ? $"Unknown sort '{sort}'. This list is sorted by id only: 'id'.{(hint is null ? "" : " " + hint)}"
            : "A search comes best match first; leave out sort (without q, this list is sorted by 'id').");
    }

    /// <summary>Checks <c>limit</c> (1–500, default 50).</summary>
    public static int Limit(int? limit)
    {
        var l = limit ?? DefaultLimit;
        return l is >= 1 and <= MaxLimit ? l : throw new RequestValidationException("limit", $"Must be between 1 and {MaxLimit}.");
    }

    /// <summary>The cursor of a ranked search page: the last row's score and id.</summary>
    public static string EncodeScored(float score, long id) =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"score:{score:R}:{id}")));

    /// <summary>Decodes a ranked search cursor; the first page starts above any score.</summary>
    public static (float Score, long Id) DecodeScored(string? cursor)
    {
        if (cursor is null)
        {
            return (float.MaxValue, 0);
        }

        try
        {
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)).Split(':');
            if (parts.Length == 3 && parts[0] == "score"
                && float.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var score)
                && long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                return (score, id);
            }
        }
        catch (FormatException)
        {
        }

        throw new RequestValidationException("cursor", "The cursor is not valid; use the nextCursor of a previous page unchanged (with the same 'q').");
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
    public static Page<T> ToPage<T>(HttpContext http, List<T> rows, int limit, Func<T, long> id) =>
        ToPage(http, rows, limit, row => Encode(id(row)));

    /// <summary>The same, for lists whose cursor carries more than the id (the sort keys of the last row).</summary>
    public static Page<T> ToPage<T>(HttpContext http, List<T> rows, int limit, Func<T, string> cursorOf)
    {
        string? next = null;
        if (rows.Count > limit)
        {
            rows.RemoveAt(rows.Count - 1);
            next = cursorOf(rows[^1]);
            var request = http.Request;
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(request.QueryString.Value);
            query["cursor"] = next;
            var qs = Microsoft.AspNetCore.Http.QueryString.Create(query.SelectMany(kv => kv.Value.Select(v => new KeyValuePair<string, string?>(kv.Key, v))));
            http.Response.Headers.Append("Link", $"<{request.PathBase}{request.Path}{qs}>; rel=\"next\"");
        }

        return new Page<T>(rows, next);
    }
}
