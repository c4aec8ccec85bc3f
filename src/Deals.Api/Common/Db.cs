using System.Data.Common;
using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// The app's PostgreSQL: the primary, and optionally a read source (<c>ConnectionStrings:DealsRead</c>,
/// typically an Npgsql multi-host string over streaming replicas). One pooled data source each.
/// </summary>
public sealed class DataSources(NpgsqlDataSource primary, NpgsqlDataSource primaryReads, NpgsqlDataSource? read, int heavySlots) : IAsyncDisposable
{
    public NpgsqlDataSource Primary { get; } = primary;

    /// <summary>The primary for GET and HEAD requests: <see cref="Primary"/> itself, or a multiplexed source when the connection string asks for one (<see cref="Database.CreateDataSource"/>).</summary>
    public NpgsqlDataSource PrimaryReads { get; } = primaryReads;

    public NpgsqlDataSource? Read { get; } = read;

    /// <summary>
    /// How many queries that cost the database real CPU (planned for their values: filtered lists, search,
    /// stats) run at once (<c>Database:HeavyQuerySlots</c>, default twice the processor count); the rest wait
    /// their turn here rather than in PostgreSQL. Measured on 2 cores and 1M deals: with 32 fuzzy searches at
    /// once each took 175-205 ms of PostgreSQL CPU, with 4 at once 115-150 ms, and more were served.
    /// </summary>
    public SemaphoreSlim HeavySlots { get; } = new(heavySlots, heavySlots);

    public async ValueTask DisposeAsync()
    {
        HeavySlots.Dispose();
        await Primary.DisposeAsync();
        if (!ReferenceEquals(PrimaryReads, Primary))
        {
            await PrimaryReads.DisposeAsync();
        }
        if (Read is not null)
        {
            await Read.DisposeAsync();
        }
    }
}

/// <summary>
/// The database as one request sees it: the read source for GET and HEAD when one is configured
/// (falling back to the primary if it fails to connect), the primary for everything else. Dapper
/// calls borrow a pooled connection for one statement; <see cref="OpenConnectionAsync"/> is for
/// multi-statement work in a transaction. A writing request names its API key in the session
/// setting <c>deals.actor</c>, which the audit triggers record with every change.
/// </summary>
public sealed class Db(NpgsqlDataSource source, SemaphoreSlim? heavySlots = null, NpgsqlDataSource? fallback = null, string? actor = null, bool writes = false)
{
    private const string ActorSql = "SELECT set_config('deals.actor', @Actor, false)";

    public NpgsqlDataSource Source { get; } = source;

    public Task<IEnumerable<T>> QueryAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.QueryAsync<T>(command));

    /// <summary>
    /// A query whose best plan depends on its values (filters, ranges, a search term), planned for them
    /// every time. A prepared statement otherwise moves to one generic plan after five executions, and for
    /// a filtered list that plan was 50 times slower (381 ms against 7 ms on 1M deals); planning costs about
    /// 1 ms. The setting lasts for the statements' own implicit transaction, in the same round trip.
    /// </summary>
    public Task<IEnumerable<T>> QueryPlannedAsync<T>(CommandDefinition command) =>
        HeavyAsync(() => RunAsync(async c =>
        {
            using var grid = await c.QueryMultipleAsync(Planned(command));
            await grid.ReadAsync();
            return await grid.ReadAsync<T>();
        }), command.CancellationToken);

    /// <summary>
    /// Rows read by <paramref name="map"/> with typed getters. Dapper reads every column as a boxed object
    /// first; for a 50-row page of deals that was an eighth of the API's CPU.
    /// </summary>
    public Task<List<T>> ReadAsync<T>(CommandDefinition command, Func<DbDataReader, T> map) =>
        RunAsync(c => ReadAsync(c, command, map));

    /// <summary><see cref="ReadAsync{T}(CommandDefinition, Func{DbDataReader, T})"/> for a query planned for its values (<see cref="QueryPlannedAsync{T}"/>).</summary>
    public Task<List<T>> ReadPlannedAsync<T>(CommandDefinition command, Func<DbDataReader, T> map) =>
        HeavyAsync(() => RunAsync(c => ReadAsync(c, Planned(command), map, skipFirstResult: true)), command.CancellationToken);

    /// <summary>The command preceded by <see cref="CustomPlanSql"/>, whose own (first) result the caller skips.</summary>
    private static CommandDefinition Planned(CommandDefinition command) =>
        new(CustomPlanSql + command.CommandText, command.Parameters, command.Transaction, command.CommandTimeout, command.CommandType,
            command.Flags, command.CancellationToken);

    /// <summary>Runs <paramref name="command"/> on <paramref name="connection"/> and maps every row of its (last) result.</summary>
    public static async Task<List<T>> ReadAsync<T>(DbConnection connection, CommandDefinition command, Func<DbDataReader, T> map, bool skipFirstResult = false)
    {
        await using var reader = await connection.ExecuteReaderAsync(command);
        if (skipFirstResult)
        {
            await reader.NextResultAsync(command.CancellationToken);
        }

        var rows = new List<T>();
        while (await reader.ReadAsync(command.CancellationToken))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <summary>Runs <paramref name="work"/> in one of the heavy-query slots (<see cref="DataSources.HeavySlots"/>), waiting for one if need be.</summary>
    public async Task<T> HeavyAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (heavySlots is null)
        {
            return await work();
        }

        await heavySlots.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            heavySlots.Release();
        }
    }

    /// <summary>Plans the rest of the current transaction's statements for their parameter values.</summary>
    public const string CustomPlanSql = "SELECT set_config('plan_cache_mode', 'force_custom_plan', true);\n";

    public Task<T?> QuerySingleOrDefaultAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.QuerySingleOrDefaultAsync<T>(command));

    public Task<T?> ExecuteScalarAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.ExecuteScalarAsync<T>(command));

    public Task<int> ExecuteAsync(CommandDefinition command) =>
        RunAsync(c => c.ExecuteAsync(command));

    public async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await Source.OpenConnectionAsync(cancellationToken);
        }
        catch (NpgsqlException e) when (fallback is not null && IsConnectionFailure(e))
        {
            return await fallback.OpenConnectionAsync(cancellationToken);
        }

        if (writes)
        {
            // Session-wide, and set by every writing request, so a pooled session never carries another request's key.
            await connection.ExecuteAsync(new CommandDefinition(ActorSql, new { Actor = actor ?? "" }, cancellationToken: cancellationToken));
        }

        return connection;
    }

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work)
    {
        try
        {
            if (writes)
            {
                await using var writer = await OpenConnectionAsync(CancellationToken.None);
                return await work(writer);
            }

            await using var connection = Source.CreateConnection();
            return await work(connection);
        }
        catch (NpgsqlException e) when (fallback is not null && IsConnectionFailure(e))
        {
            // A replica that went away: this read goes to the primary, and the pool finds the replica again when it returns.
            await using var connection = fallback.CreateConnection();
            return await work(connection);
        }
    }

    private static bool IsConnectionFailure(NpgsqlException e) =>
        e.IsTransient || e.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException
        || e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" };
}
