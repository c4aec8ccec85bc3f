using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Deals.Api.Common;

/// <summary>
/// Optimistic concurrency: a resource's ETag is its last change time (strong, opaque). GET honours
/// If-None-Match (304); PUT, PATCH and DELETE honour If-Match, checked inside the UPDATE or DELETE
/// itself, so that of two writers holding the same ETag exactly one wins and the other gets 412.
/// </summary>
public static class ETags
{
    public static string Of(DateTimeOffset updatedAt) => $"\"{updatedAt.UtcTicks:x}\"";

    /// <summary>
    /// Sets the ETag; true when the client's If-None-Match already has this version (answer 304). If-None-Match
    /// compares weakly (RFC 9110 13.1.2): <c>W/"x"</c> matches <c>"x"</c>, as a proxy that compressed the
    /// response sends it back.
    /// </summary>
    public static bool Tag(HttpContext http, DateTimeOffset updatedAt)
    {
        var tag = Of(updatedAt);
        http.Response.Headers.ETag = tag;
        if (http.Request.Headers.IfNoneMatch.Count == 0)
        {
            return false;
        }

        // A header that does not parse as a whole is ignored (200), rather than read leniently: W/* is not *.
        var current = new EntityTagHeaderValue(tag);
        return EntityTagHeaderValue.TryParseStrictList(http.Request.Headers.IfNoneMatch, out var tags)
               && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>
    /// The versions If-Match accepts: any when the header is absent, empty or <c>*</c>, else those its strong ETags
    /// name (RFC 9110 13.1.1: the write goes ahead when the current ETag is one of them). A weak ETag, or one this API
    /// never issued, names no version; so does a header that does not parse as a list of ETags (<c>W/*</c> is not
    /// <c>*</c>), which is answered with 412 rather than read leniently.
    /// </summary>
    public static DateTime[]? Expected(HttpRequest request)
    {
        var header = request.Headers.IfMatch;
        if (string.IsNullOrWhiteSpace(header.ToString()))
        {
            return null;
        }

        if (!EntityTagHeaderValue.TryParseStrictList(header, out var tags))
        {
            return [];
        }

        if (tags.Count == 1 && tags[0].Equals(EntityTagHeaderValue.Any))
        {
            return null;
        }

        var versions = new List<DateTime>(tags.Count);
        foreach (var tag in tags.Where(t => !t.IsWeak))
        {
            if (Version(tag.Tag.AsSpan().Trim('"')) is { } version)
            {
                versions.Add(version);
            }
        }

        return [.. versions];
    }

    /// <summary>The change time an ETag of <see cref="Of"/> names: lower-case hex ticks, whole microseconds as stored.</summary>
    private static DateTime? Version(ReadOnlySpan<char> hex) =>
        long.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
        && ticks > 0 && ticks < DateTime.MaxValue.Ticks && ticks % TimeSpan.TicksPerMicrosecond == 0
        && hex.SequenceEqual(ticks.ToString("x", System.Globalization.CultureInfo.InvariantCulture))
            ? new DateTime(ticks, DateTimeKind.Utc)
            : null;

    public static StatusCodeHttpResult NotModified() => TypedResults.StatusCode(StatusCodes.Status304NotModified);

    public static ProblemHttpResult PreconditionFailed() => TypedResults.Problem(statusCode: 412, type: Problems.TypeFor(412),
        title: Problems.Kinds["precondition-failed"].Title,
        detail: "The resource has changed since the ETag in If-Match: read it again and reapply your change.");
}
