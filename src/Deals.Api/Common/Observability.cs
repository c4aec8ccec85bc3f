using System.Diagnostics;
using Microsoft.AspNetCore.ResponseCompression;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Deals.Api.Common;

/// <summary>
/// What the service tells its operators: JSON logs with one line per request, OpenTelemetry traces
/// and metrics for ASP.NET Core and Npgsql (exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set), and the HTTP niceties around the API: compression, CORS, HEAD.
/// </summary>
public static partial class Observability
{
    public static WebApplicationBuilder AddDealsObservability(this WebApplicationBuilder builder)
    {
        if (!string.Equals(builder.Configuration["Logging:Format"], "simple", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = false;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }

        // Traces and metrics cost CPU on every request: collect them only when there is somewhere to send them.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("deals-api"))
                .WithTracing(t => t.AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/health"))
                    .AddNpgsql().AddOtlpExporter())
                .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddNpgsqlInstrumentation().AddMeter(LookupBatches.MeterName).AddOtlpExporter());
        }

        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<BrotliCompressionProvider>();
            o.Providers.Add<GzipCompressionProvider>();
            o.MimeTypes = ["application/json", "application/problem+json", "application/x-ndjson", "text/csv", "text/plain", "text/html", "text/css", "application/javascript"];
        });
        // A 50-deal page (25.5 KB): Brotli at Fastest made 6.4 KB, gzip at Fastest 4.8 KB, Brotli at Optimal (quality 4)
        // 3.4 KB, each for about 0.1-0.3 of the API's 1 CPU ms per request (within the machine's noise). Brotli comes
        // first for clients that accept both.
        builder.Services.Configure<BrotliCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Optimal);
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = System.IO.Compression.CompressionLevel.Fastest);

        var origins = builder.Configuration.GetSection("Cors:Origins").Get<string[]>() ?? [];
        builder.Services.AddCors(o => o.AddDefaultPolicy(p =>
        {
            if (origins.Length > 0)
            {
                p.WithOrigins(origins).AllowAnyHeader().AllowAnyMethod()
                    .WithExposedHeaders("Location", "Link", "ETag", "Retry-After");
            }
        }));
        return builder;
    }

    public static WebApplication UseDealsObservability(this WebApplication app)
    {
        app.UseMiddleware<RequestLogging>();
        app.UseResponseCompression();

        // HEAD is answered by the GET endpoint; Kestrel sends the headers and drops the body.
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method))
            {
                context.Request.Method = HttpMethods.Get;
            }

            return next(context);
        });
        app.UseRouting();
        app.UseCors();
        return app;
    }

    /// <summary>
    /// <c>OPTIONS</c> on any resource answers 204 with the <c>Allow</c> header routing computes for
    /// a 405 (CORS preflights are answered before this by the CORS middleware). Goes after the
    /// status-code pages, which see the 204 and write nothing; an unknown path stays a 404 with its
    /// problem body.
    /// </summary>
    public static WebApplication UseOptionsAllow(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsOptions(context.Request.Method))
            {
                await next(context);
                return;
            }

            await next(context);
            if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                var allowed = context.Response.Headers.Allow.ToString().Split(", ", StringSplitOptions.RemoveEmptyEntries).ToList();
                if (allowed.Contains(HttpMethods.Get))
                {
                    allowed.Add(HttpMethods.Head);
                }

                allowed.Add(HttpMethods.Options);
                context.Response.Headers.Allow = string.Join(", ", allowed);
            }
        });
        return app;
    }

    /// <summary>One log line per request: method, route, status, duration and trace id; never a header value or a body.</summary>
    private sealed partial class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            var start = Stopwatch.GetTimestamp();
            var method = context.Request.Method;
            try
            {
                await next(context);
            }
            finally
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value ?? "";
                Served(logger, method, route, context.Response.StatusCode,
                    Stopwatch.GetElapsedTime(start).TotalMilliseconds, Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier);
            }
        }

        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Route} {Status} {DurationMs:0.0} ms trace {TraceId}")]
        private static partial void Served(ILogger logger, string method, string route, int status, double durationMs, string traceId);
    }
}
