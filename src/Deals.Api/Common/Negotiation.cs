using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Deals.Api.Common;

/// <summary>
/// Content negotiation from the Accept header (RFC 9110 12.5.1), in one place: the acquisition list chooses CSV or
/// JSON by it, and a request to <c>/v1</c> whose Accept header rules out every type the endpoint can answer with
/// is refused with 406 and a problem body (written by <see cref="FallbackProblemWriter"/> when the header also
/// rules out problem JSON).
/// </summary>
public static class Negotiation
{
    public const string Json = "application/json";

    private const string ProblemJson = "application/problem+json";

    private static readonly string[] JsonOnly = [Json];

    /// <summary>
    /// Which of <paramref name="offered"/> (the first is the default) the Accept header prefers: the highest quality,
    /// then the type the header names most specifically (<c>text/csv</c> before <c>*/*</c>), then the order offered.
    /// Null when the header rules every one out. An absent or unreadable header accepts anything.
    /// </summary>
    public static string? Choose(HttpRequest request, IReadOnlyList<string> offered)
    {
        var accept = request.Headers.Accept;
        // The common cases, without parsing: no header, curl's */*, or the JSON a client library sends.
        if (accept.Count == 0 || (accept.Count == 1 && accept[0] is "*/*" or Json))
        {
            return offered[0];
        }

        if (!MediaTypeHeaderValue.TryParseList(accept, out var ranges) || ranges.Count == 0)
        {
            return offered[0];
        }

        string? best = null;
        var bestQuality = 0.0;
        var bestSpecificity = -1;
        foreach (var type in offered)
        {
            var (quality, specificity) = Quality(ranges, type);
            if (quality > bestQuality || (quality > 0 && quality == bestQuality && specificity > bestSpecificity))
            {
                (best, bestQuality, bestSpecificity) = (type, quality, specificity);
            }
        }

        return best;
    }

    /// <summary>Refuses (406) requests to <c>/v1</c> that accept none of the types the endpoint answers with. Goes after the key check.</summary>
    public static WebApplication UseNegotiation(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            if (Choose(context.Request, JsonOnly) is not null || !context.Request.Path.StartsWithSegments("/v1")
                || context.GetEndpoint() is not { } endpoint || Offered(endpoint) is not { Count: > 0 } offered
                || Choose(context.Request, offered) is not null)
            {
                return next(context);
            }

            return Problems.WriteAsync(context, StatusCodes.Status406NotAcceptable,
                $"This resource is available as {string.Join(" or ", offered)}, which the Accept header rules out.");
        });
        return app;
    }

    /// <summary>The media types of the endpoint's successful responses, as its OpenAPI metadata states them (JSON first).</summary>
    private static List<string> Offered(Endpoint endpoint)
    {
        var offered = new List<string>();
        foreach (var produces in endpoint.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>())
        {
            if (produces.StatusCode is >= 200 and < 300)
            {
                offered.AddRange(produces.ContentTypes.Where(t => !offered.Contains(t)));
            }
        }

        return offered;
    }

    /// <summary>The quality the header gives <paramref name="type"/>: that of the most specific range matching it (0 if none does).</summary>
    private static (double Quality, int Specificity) Quality(IList<MediaTypeHeaderValue> ranges, string type)
    {
        var quality = 0.0;
        var specificity = -1;
        foreach (var range in ranges)
        {
            var matched = Specificity(range, type);
            if (matched > specificity)
            {
                (quality, specificity) = (range.Quality ?? 1.0, matched);
            }
        }

        return (quality, specificity);
    }

    /// <summary>How specifically a range names a type: 3 exactly, 2 problem JSON for JSON, 1 <c>type/*</c>, 0 <c>*/*</c>, -1 not at all.</summary>
    private static int Specificity(MediaTypeHeaderValue range, string type)
    {
        if (range.MatchesAllTypes)
        {
            return 0;
        }

        if (range.MatchesAllSubTypes)
        {
            return type.AsSpan().StartsWith(range.Type.AsSpan(), StringComparison.OrdinalIgnoreCase) && type.Length > range.Type.Length
                && type[range.Type.Length] == '/' ? 1 : -1;
        }

        return range.MediaType.Equals(type, StringComparison.OrdinalIgnoreCase) ? 3
            : type == Json && range.MediaType.Equals(ProblemJson, StringComparison.OrdinalIgnoreCase) ? 2
            : -1;
    }
}
