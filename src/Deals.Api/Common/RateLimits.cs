using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Deals.Api.Common;

/// <summary>
/// Token buckets per API key (per client address for anonymous reads), and at most a few imports
/// at once. Limits are counted per API instance: with N instances a client gets N times the rate.
/// Refusals are 429 problems with Retry-After and RateLimit-* headers.
/// </summary>
public static class RateLimits
{
    public const string Imports = "imports";

    public static IServiceCollection AddDealsRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("RateLimits");
        var perSecond = section.GetValue("PerSecond", 200);
        var burst = section.GetValue("Burst", 400);
        var anonymousPerSecond = section.GetValue("AnonymousPerSecond", 50);
        var imports = section.GetValue("ConcurrentImports", 2);
        var limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var key = context.User.FindFirst(ClaimTypes.NameIdentifier)?.Value;
                var rate = key is null ? anonymousPerSecond : perSecond;
                return RateLimitPartition.GetTokenBucketLimiter(key is null ? "ip:" + context.Connection.RemoteIpAddress : "key:" + key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = key is null ? anonymousPerSecond * 2 : burst,
                    TokensPerPeriod = rate,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
        services.AddSingleton(new Limiter(limiter, perSecond, anonymousPerSecond));
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = limiter;
            o.AddConcurrencyLimiter(Imports, l =>
            {
                l.PermitLimit = imports;
                l.QueueLimit = 0;
            });
            o.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["RateLimit-Limit"] = (context.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>() is not null
                    ? imports : context.User.Identity?.IsAuthenticated == true ? perSecond : anonymousPerSecond).ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["RateLimit-Remaining"] = "0";
                context.Response.Headers["RateLimit-Reset"] = retryAfter.ToString(CultureInfo.InvariantCulture);
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = 429,
                        Type = Problems.TypeFor(429),
                        Detail = $"Too many requests: try again in {retryAfter} s.",
                    },
                });
            };
        });
        return services;
    }

    /// <summary>The per-key buckets, kept so that every answer can say how much of its bucket is left.</summary>
    public sealed record Limiter(PartitionedRateLimiter<HttpContext> Buckets, int PerSecond, int AnonymousPerSecond);

    public static WebApplication UseDealsRateLimits(this WebApplication app)
    {
        if (!app.Configuration.GetValue("RateLimits:Enabled", true))
        {
            return app;
        }

        var limiter = app.Services.GetRequiredService<Limiter>();
        app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/swagger") && !context.Request.Path.StartsWithSegments("/openapi"))
            {
                context.Response.OnStarting(() =>
                {
                    if (context.Response.StatusCode != StatusCodes.Status429TooManyRequests)
                    {
                        var limit = context.User.Identity?.IsAuthenticated == true ? limiter.PerSecond : limiter.AnonymousPerSecond;
                        context.Response.Headers["RateLimit-Limit"] = limit.ToString(CultureInfo.InvariantCulture);
                        context.Response.Headers["RateLimit-Remaining"] = (limiter.Buckets.GetStatistics(context)?.CurrentAvailablePermits ?? limit).ToString(CultureInfo.InvariantCulture);
                        context.Response.Headers["RateLimit-Reset"] = "1";
                    }

                    return Task.CompletedTask;
                });
            }

            return next(context);
        });
        app.UseRateLimiter();
        return app;
    }
}
