using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// Sends reads to the read source and everything else to the primary, and gives clients
/// read-your-writes: every write answered while a read source is configured carries
/// <c>Deals-Write-Lsn</c> (the primary's WAL position after the commit); a read sent with
/// <c>Deals-Read-After: &lt;lsn&gt;</c> waits until the replica has replayed that far, and goes to the
/// primary when it has not within <c>Database:ReadAfterTimeout</c>.
/// </summary>
public static class ReadRouting
{
    public const string WriteLsnHeader = "Deals-Write-Lsn";
    public const string ReadAfterHeader = "Deals-Read-After";
    private const string UsePrimary = "Deals.UsePrimary";

    private const string ReplayedSql = "SELECT COALESCE(pg_last_wal_replay_lsn() >= @Lsn::pg_lsn, true)";
    private const string WriteLsnSql = "SELECT pg_current_wal_lsn()::text";

    public static IServiceCollection AddReadRouting(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddScoped(sp =>
        {
            var sources = sp.GetRequiredService<DataSources>();
            var context = sp.GetRequiredService<IHttpContextAccessor>().HttpContext;
            if (context is null || IsRead(context.Request.Method))
            {
                return sources.Read is not null && context is not null && !context.Items.ContainsKey(UsePrimary)
                    ? new Db(sources.Read, sources.HeavySlots, fallback: sources.PrimaryReads, readSlots: sources.ReadSlots, lookups: sources.LookupBatches)
                    : new Db(sources.PrimaryReads, sources.HeavySlots, readSlots: sources.ReadSlots, lookups: sources.LookupBatches);
            }

            return new Db(sources.Primary, sources.HeavySlots, actor: context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, writes: true);
        });
        return services;
    }

    public static WebApplication UseReadRouting(this WebApplication app)
    {
        var sources = app.Services.GetRequiredService<DataSources>();
        if (sources.Read is null)
        {
            return app; // one server: every read already sees every write
        }

        var timeout = app.Configuration.GetValue("Database:ReadAfterTimeout", TimeSpan.FromSeconds(2));
        app.Use(async (context, next) =>
        {
            if (IsRead(context.Request.Method))
            {
                if (context.Request.Headers[ReadAfterHeader] is [{ } lsn] && !await ReplayedAsync(sources.Read, lsn, timeout, context.RequestAborted))
                {
                    context.Items[UsePrimary] = true;
                }
            }
            else
            {
                context.Response.OnStarting(async () =>
                {
                    if (context.Response.StatusCode < 400)
                    {
                        await using var connection = sources.Primary.CreateConnection();
                        context.Response.Headers[WriteLsnHeader] = await connection.ExecuteScalarAsync<string>(WriteLsnSql);
                    }
                });
            }

            await next(context);
        });
        return app;
    }

    private static bool IsRead(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

    private static async Task<bool> ReplayedAsync(NpgsqlDataSource read, string lsn, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(lsn, "^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$"))
        {
            throw new RequestValidationException(ReadAfterHeader, "Expected an LSN such as 0/16B3748, as returned in Deals-Write-Lsn.");
        }

        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var connection = read.CreateConnection();
                if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(ReplayedSql, new { Lsn = lsn }, cancellationToken: cancellationToken)))
                {
                    return true;
                }
            }
            catch (NpgsqlException)
            {
                return false; // the replica is unreachable: the primary answers
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(20, cancellationToken);
        }
    }
}
