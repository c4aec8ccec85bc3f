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
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
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

    public static WebApplication UseDealsRateLimits(this WebApplication app)
    {
        if (app.Configuration.GetValue("RateLimits:Enabled", true))
        {
            app.UseRateLimiter();
        }

        return app;
    }
}
