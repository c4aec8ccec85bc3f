using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Deals.Api.Common;

/// <summary>
/// Request bodies as clients send them: compressed with gzip, br or deflate (<c>Content-Encoding</c>), read through
/// ASP.NET Core's request decompression, whose stream enforces the endpoint's body limit on the decompressed bytes
/// (1 MB for JSON, so a small gzip that inflates past it is a 413). Imports have no limit on a plain body, which is
/// streamed; a compressed one may inflate to <c>Imports:MaxDecompressedBytes</c> (1 GiB by default). Any other
/// content coding, and a charset other than UTF-8 (JSON between systems is UTF-8, RFC 8259; imports are read as
/// UTF-8), is a 415 naming what is supported, rather than bytes read wrongly or stored mis-decoded.
/// </summary>
public static class RequestBodies
{
    public const long DefaultMaxDecompressedImportBytes = 1L << 30;

    private static readonly string[] Encodings = ["gzip", "br", "deflate"];

    /// <summary>Charsets a body is read in as UTF-8 (US-ASCII is a subset of it).</summary>
    private static readonly string[] ReadAsUtf8 = ["utf-8", "utf8", "us-ascii", "ascii"];

    public static IServiceCollection AddRequestBodies(this IServiceCollection services) => services.AddRequestDecompression();

    /// <summary>After routing and the key check, before anything reads a body.</summary>
    public static WebApplication UseRequestBodies(this WebApplication app)
    {
        var importLimit = app.Configuration.GetValue<long?>("Imports:MaxDecompressedBytes") ?? DefaultMaxDecompressedImportBytes;
        app.Use((context, next) =>
        {
            var headers = context.Request.Headers;
            // A request without a body (a GET or DELETE) has nothing to decode, whatever its headers say.
            if ((headers.ContentType.Count == 0 && headers.ContentEncoding.Count == 0)
                || context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
            {
                return next(context);
            }

            if (Charset(context.Request) is { } charset)
            {
                return Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, $"The body is declared as charset={charset}: send it in UTF-8 (charset=utf-8, or no charset).");
            }

            var encoding = headers.ContentEncoding.ToString().Trim();
            if (encoding.Length == 0 || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                return next(context);
            }

            if (!Encodings.Contains(encoding, StringComparer.OrdinalIgnoreCase))
            {
                context.Response.Headers.AcceptEncoding = string.Join(", ", Encodings);
                return Problems.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, $"Content-Encoding '{encoding}' is not supported: send the body as it is, or compressed with one of {string.Join(", ", Encodings)}.");
            }

            if (context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { MaxRequestBodySize: null }
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                // The decompression stream takes this limit when the endpoint sets none (an import).
                limit.MaxRequestBodySize = importLimit;
            }

            return ReadCompressedAsync(context, next, encoding);
        });
        app.UseRequestDecompression();
        return app;
    }

    /// <summary>A body that is not what its Content-Encoding says is the client's mistake (400), not a 500.</summary>
    private static async Task ReadCompressedAsync(HttpContext context, RequestDelegate next, string encoding)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException
                                  && e.TargetSite?.DeclaringType?.Namespace == typeof(System.IO.Compression.GZipStream).Namespace)
        {
            throw new RequestValidationException("body", $"The body is not valid {encoding.ToLowerInvariant()} data, as its Content-Encoding says it is.");
        }
    }

    /// <summary>The charset the Content-Type declares when it is not UTF-8; null for UTF-8 or none (a quoted "utf-8" is made plain).</summary>
    private static string? Charset(HttpRequest request)
    {
        var contentType = request.ContentType;
        if (contentType is null || !contentType.Contains("charset", StringComparison.OrdinalIgnoreCase)
            || contentType.EndsWith("; charset=utf-8", StringComparison.OrdinalIgnoreCase) // as HttpClient and most clients send it
            || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.Charset.Length == 0)
        {
            return null;
        }

        var charset = HeaderUtilities.RemoveQuotes(parsed.Charset);
        if (!ReadAsUtf8.Any(c => charset.Equals(c, StringComparison.OrdinalIgnoreCase)))
        {
            return charset.ToString();
        }

        if (charset.Length != parsed.Charset.Length || !parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            // The JSON reader looks the charset up as written and fails on "utf-8" in quotes or on utf8; and it would
            // read us-ascii as ASCII, turning any byte above 127 into '?'.
            parsed.Charset = "utf-8";
            request.ContentType = parsed.ToString();
        }

        return null;
    }
}
