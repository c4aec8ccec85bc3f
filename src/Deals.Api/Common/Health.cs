using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Common;

/// <summary>Health for load balancers and orchestrators, outside /v1 and without a key.</summary>
public static class Health
{
    public sealed record Status(string State);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/health").WithTags("Health");
        group.MapGet("/live", () => TypedResults.Ok(new Status("live"))).WithName("GetLiveness")
            .WithSummary("Is the process up")
            .WithDescription("200 whenever the API process answers, whatever the database: restart the process only when this fails.");
        group.MapGet("/ready", Ready).WithName("GetReadiness")
            .WithSummary("Can the API serve requests")
            .WithDescription("200 when PostgreSQL answers within 2 seconds; otherwise 503 with Retry-After, and the API keeps trying by itself.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    public static async Task<Results<Ok<Status>, ProblemHttpResult>> Ready(DataSources sources, HttpContext http, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var connection = await sources.Primary.OpenConnectionAsync(timeout.Token);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
            return TypedResults.Ok(new Status("ready"));
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException)
        {
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: 503, type: Problems.TypeFor(503), detail: "The database does not answer.");
        }
    }

    /// <summary>Loads the reference lists on the first request that finds them missing (the database may have been down at start).</summary>
    public static WebApplication UseReferenceData(this WebApplication app)
    {
        var reference = app.Services.GetRequiredService<ReferenceData>();
        var sources = app.Services.GetRequiredService<DataSources>();
        app.Use(async (context, next) =>
        {
            if (!reference.IsLoaded && context.Request.Path.StartsWithSegments("/v1"))
            {
                await reference.LoadAsync(sources.Primary, context.RequestAborted);
            }

            await next(context);
        });
        return app;
    }
}
