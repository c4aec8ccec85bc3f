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

        var current = new EntityTagHeaderValue(tag);
        return http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(current, useStrongComparison: false));
    }

    /// <summary>
    /// The version If-Match demands: none when absent (or <c>*</c>), else the change time it names;
    /// an ETag this API never issued demands a version no row has.
    /// </summary>
    public static DateTime? Expected(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return null;
        }

        var tag = header.Split(',')[0].Trim();
        if (tag.StartsWith("W/", StringComparison.Ordinal))
        {
            // If-Match compares strongly (RFC 9110 13.1.1): a weak tag matches no version.
            return DateTime.UnixEpoch;
        }

        tag = tag.Trim('"');
        return long.TryParse(tag, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var ticks)
               && ticks > 0 && ticks < DateTime.MaxValue.Ticks
            ? new DateTime(ticks, DateTimeKind.Utc)
            : DateTime.UnixEpoch;
    }

    public static StatusCodeHttpResult NotModified() => TypedResults.StatusCode(StatusCodes.Status304NotModified);

    public static ProblemHttpResult PreconditionFailed() => TypedResults.Problem(statusCode: 412, type: Problems.TypeFor(412),
        title: Problems.Kinds["precondition-failed"].Title,
        detail: "The resource has changed since the ETag in If-Match: read it again and reapply your change.");
}
