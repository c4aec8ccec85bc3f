using System.Security.Claims;
using System.Text.Encodings.Web;
using Deals.Api.Common;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Deals.Api.Keys;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>. Roles nest: an admin may do what a writer may, a writer what a
/// reader may. Reads are anonymous only when <c>Auth:AnonymousReads</c> is true (the local run's
/// default); writes need a writer; keys and the audit log need an admin. A key that is presented
/// but wrong, expired or revoked is a 401 even where anonymous reads are allowed.
/// </summary>
public static class Auth
{
    public const string Scheme = "ApiKey";
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    private static readonly string[] KeyParameters = ["key", "api_key", "apikey", "access_token", "token"];

    public static IServiceCollection AddDealsAuth(this IServiceCollection services, bool anonymousReads)
    {
        // No default scheme, not even the one inferred from a single scheme: keys are looked up only for
        // the API (UseDealsAuth), inside the error handling, never by the framework for every request.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, KeyHandler>(Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Read, p => p.RequireAssertion(c => anonymousReads || c.User.IsInRole(nameof(Role.Reader))))
            .AddPolicy(Write, p => p.RequireRole(nameof(Role.Writer)))
            .AddPolicy(Admin, p => p.RequireRole(nameof(Role.Admin)));
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemResultHandler>();
        return services;
    }

    /// <summary>Reads need <see cref="Read"/>, everything else <see cref="Write"/>; groups may ask for more.</summary>
    public static TBuilder RequireKeys<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint =>
        {
            var methods = endpoint.Metadata.OfType<Microsoft.AspNetCore.Routing.HttpMethodMetadata>().SelectMany(m => m.HttpMethods).ToList();
            var reads = methods.Count > 0 && methods.All(m => m is "GET" or "HEAD");
            endpoint.Metadata.Add(new AuthorizeAttribute(reads ? Read : Write));
        });
        return builder;
    }

    public static WebApplication UseDealsAuth(this WebApplication app)
    {
        // A key belongs in the Authorization header: in a URL it ends up in logs and browser history.
        app.Use(async (context, next) =>
        {
            if (KeyParameters.FirstOrDefault(p => context.Request.Query.ContainsKey(p)) is { } parameter)
            {
                throw new RequestValidationException(parameter, "Send the API key in the Authorization header (Bearer), never in the URL.");
            }

            await next(context);
        });
        app.Use(async (context, next) =>
        {
            // Only the API takes keys: health, Swagger UI and the problem pages answer without looking one up.
            if (context.Request.Path.StartsWithSegments("/v1"))
            {
                var result = await context.AuthenticateAsync(Scheme);
                if (result.Failure is not null)
                {
                    // A key that fails must not pass as anonymous.
                    await WriteAsync(context, 401, result.Failure.Message);
                    return;
                }

                if (result.Succeeded)
                {
                    context.User = result.Principal;
                }
            }

            await next(context);
        });
        app.UseAuthorization();
        return app;
    }

    private static async Task WriteAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Type = Problems.TypeFor(status), Detail = detail },
        });
    }

    /// <summary>Authenticates <c>Bearer</c> keys; no header is no identity (anonymous), a bad key is a failure.</summary>
    private sealed class KeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, KeyStore keys)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var header = Request.Headers.Authorization.ToString();
            if (string.IsNullOrEmpty(header))
            {
                return AuthenticateResult.NoResult();
            }

            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("Use 'Authorization: Bearer <key>'.");
            }

            if (await keys.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted) is not { } key)
            {
                return AuthenticateResult.Fail("The API key is not valid: unknown, expired or revoked.");
            }

            var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            claims.AddRange(Enum.GetValues<Role>().Where(r => r <= key.Role).Select(r => new Claim(ClaimTypes.Role, r.ToString())));
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, Auth.Scheme)), Auth.Scheme));
        }
    }

    /// <summary>401 and 403 as problem JSON, saying what is missing.</summary>
    private sealed class ProblemResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (authorizeResult.Challenged)
            {
                await WriteAsync(context, 401, "This needs an API key: send 'Authorization: Bearer <key>'.");
            }
            else if (authorizeResult.Forbidden)
            {
                var needed = policy.Requirements.OfType<Microsoft.AspNetCore.Authorization.Infrastructure.RolesAuthorizationRequirement>()
                    .SelectMany(r => r.AllowedRoles).FirstOrDefault()?.ToLowerInvariant() ?? "another";
                await WriteAsync(context, 403, $"This needs a key with the {needed} role.");
            }
            else
            {
                await _default.HandleAsync(next, context, policy, authorizeResult);
            }
        }
    }
}
