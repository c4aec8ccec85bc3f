using System.Data.Common;
using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// The app's PostgreSQL: the primary, and optionally a read source (<c>ConnectionStrings:DealsRead</c>,
/// typically an Npgsql multi-host string over streaming replicas). One pooled data source each.
/// </summary>
public sealed class DataSources(NpgsqlDataSource primary, NpgsqlDataSource primaryReads, NpgsqlDataSource? read, int heavySlots, int readSlots = 0,
    int lookupFlights = 1) : IAsyncDisposable
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

    /// <summary>
    /// How many read statements run at once (<c>Database:ReadSlots</c>, default twice the processor count;
    /// 0 for no limit); the rest wait their turn here. With 32 requests in flight on 2 cores, 32 backends competed
    /// for the CPU and each statement cost PostgreSQL more: a deal by id 0.27-0.33 CPU ms with up to 32 at once,
    /// 0.16-0.20 with 4 or 8, and 2,600-3,800 requests/s became 4,000-5,000 (p99 20-200 ms became 11-16 ms); pgbench
    /// on the parents chain used 0.83 CPU ms per query with 32 clients and 0.54-0.59 with 4. With 4 slots rather than
    /// 8 the parents chain's p99 fell from 60-90 to 27-40 ms and the list by buyer's from 130-220 to 60-80 ms, at
    /// the same rate. Heavy queries hold a heavy slot instead, so a burst of searches never holds up lookups by id;
    /// streaming exports and writes take no slot. When PostgreSQL runs on another machine, about twice its cores.
    /// </summary>
    public SemaphoreSlim? ReadSlots { get; } = readSlots > 0 ? new(readSlots, readSlots) : null;

    /// <summary>
    /// Lookups by key (a deal or product by id, a company or its chain of parents by id or slug) of concurrent reads, sent together: at most
    /// <c>Database:LookupFlights</c> statements of each lookup out at once per database server (default 1; 0: every request sends its own).
    /// </summary>
    public LookupBatches? LookupBatches { get; } = lookupFlights > 0 ? new LookupBatches(lookupFlights) : null;

    public async ValueTask DisposeAsync()
    {
        HeavySlots.Dispose();
        ReadSlots?.Dispose();
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
/// calls borrow a pooled connection for one statement; <see cref="WithConnectionAsync{T}(Func{NpgsqlConnection, Task{T}}, CancellationToken)"/>
/// is for multi-statement work in a transaction. A writing request names its API key in the session
/// setting <c>deals.actor</c>, which the audit triggers record with every change.
/// </summary>
public sealed class Db(NpgsqlDataSource source, SemaphoreSlim? heavySlots = null, NpgsqlDataSource? fallback = null, string? actor = null, bool writes = false,
    SemaphoreSlim? readSlots = null, LookupBatches? lookups = null)
{
    private const string ActorSql = "SELECT set_config('deals.actor', @Actor, false)";

    public NpgsqlDataSource Source { get; } = source;

    public Task<IEnumerable<T>> QueryAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.QueryAsync<T>(command), command.CancellationToken);

    /// <summary>
    /// A query whose best plan depends on its values (filters, ranges, a search term), planned for them
    /// every time. A prepared statement otherwise moves to one generic plan after five executions, and for
    /// a filtered list that plan was 50 times slower (381 ms against 7 ms on 1M deals); planning costs about
    /// 1 ms. The setting lasts for the statements' own implicit transaction, in the same round trip.
    /// </summary>
    public Task<IEnumerable<T>> QueryPlannedAsync<T>(CommandDefinition command) =>
        RunHeavyAsync(async c =>
        {
            using var grid = await c.QueryMultipleAsync(Planned(command, CustomPlanSql));
            await grid.ReadAsync();
            return await grid.ReadAsync<T>();
        }, command.CancellationToken);

    /// <summary>
    /// Rows read by <paramref name="map"/> with typed getters. Dapper reads every column as a boxed object
    /// first; for a 50-row page of deals that was an eighth of the API's CPU.
    /// </summary>
    public Task<List<T>> ReadAsync<T>(CommandDefinition command, Func<DbDataReader, T> map) =>
        RunAsync(c => ReadAsync(c, command, map), command.CancellationToken);

    /// <summary>
    /// <see cref="ReadAsync{T}(CommandDefinition, Func{DbDataReader, T})"/> for a query planned for its values (<see cref="QueryPlannedAsync{T}"/>),
    /// under <paramref name="settings"/> (<see cref="CustomPlanSql"/> unless told, such as <see cref="PagePlanSql"/>).
    /// </summary>
    public Task<List<T>> ReadPlannedAsync<T>(CommandDefinition command, Func<DbDataReader, T> map, string settings = CustomPlanSql) =>
        RunHeavyAsync(c => ReadAsync(c, Planned(command, settings), map, skipFirstResult: true), command.CancellationToken);

    /// <summary>
    /// The row of <paramref name="key"/>, or null. A read sends it together with the same lookup of other requests
    /// (<see cref="LookupBatches"/>); a writing request sends it alone, on the primary, as it sends all its statements.
    /// </summary>
    public async Task<T?> FindAsync<TKey, T>(KeyLookup<TKey, T> lookup, TKey key, CancellationToken cancellationToken)
        where TKey : notnull
        where T : class
    {
        if (writes || lookups is null)
        {
            return (await RunAsync(c => lookup.Read(c, lookup.Statement([key], cancellationToken: cancellationToken)), cancellationToken)).FirstOrDefault();
        }

        // The statement serves several requests: none of them can cancel it.
        return await lookups.FindAsync(lookup, key, Source, work => RunAsync(work, readSlots, CancellationToken.None), cancellationToken);
    }

    /// <summary>The command preceded by <paramref name="settings"/> (one statement), whose own (first) result the caller skips.</summary>
    private static CommandDefinition Planned(CommandDefinition command, string settings) =>
        new(settings + command.CommandText, command.Parameters, command.Transaction, command.CommandTimeout, command.CommandType,
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
    public Task<T> HeavyAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken) => InSlotAsync(heavySlots, work, cancellationToken);

    /// <summary>Runs <paramref name="work"/> once <paramref name="slots"/> (none: no limit) has one free, waiting for it if need be.</summary>
    private static async Task<T> InSlotAsync<T>(SemaphoreSlim? slots, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (slots is null)
        {
            return await work();
        }

        await slots.WaitAsync(cancellationToken);
        try
        {
            return await work();
        }
        finally
        {
            slots.Release();
        }
    }

    private const string CustomPlanSetting = "set_config('plan_cache_mode', 'force_custom_plan', true)";

    /// <summary>Plans the rest of the current transaction's statements for their parameter values.</summary>
    public const string CustomPlanSql = $"SELECT {CustomPlanSetting};\n";

    /// <summary><see cref="CustomPlanSql"/> as a session option (<c>PGOPTIONS</c>), for tools that run the API's SQL as it does.</summary>
    public const string CustomPlanOption = "-c plan_cache_mode=force_custom_plan";

    /// <summary>
    /// Join methods a page of deals never needs: it takes at most 501 deals and joins them to their companies by primary
    /// key, which only nested loops do well, and rarely looks a company up twice (Memoize). Each method PostgreSQL need
    /// not weigh is planning it skips on every request: planning a filtered page took 0.74–0.80 ms with them and
    /// 0.32–0.41 without (1M deals). Hashed subqueries (a name filter) are not joins and stay.
    /// </summary>
    public static readonly string[] PageJoinsNotUsed = ["enable_memoize", "enable_hashjoin", "enable_mergejoin"];

    /// <summary><see cref="CustomPlanSql"/> without <see cref="PageJoinsNotUsed"/>, for a list's page planned for its values.</summary>
    public static readonly string PagePlanSql =
        $"SELECT {CustomPlanSetting}" + string.Concat(PageJoinsNotUsed.Select(s => $", set_config('{s}', 'off', true)")) + ";\n";

    /// <summary>The same settings as session options (<c>PGOPTIONS</c>), for tools that run a page's SQL as the API does.</summary>
    public static readonly string PagePlanOptions = CustomPlanOption + string.Concat(PageJoinsNotUsed.Select(s => $" -c {s}=off"));

    public Task<T?> QuerySingleOrDefaultAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.QuerySingleOrDefaultAsync<T>(command), command.CancellationToken);

    public Task<T?> ExecuteScalarAsync<T>(CommandDefinition command) =>
        RunAsync(c => c.ExecuteScalarAsync<T>(command), command.CancellationToken);

    public Task<int> ExecuteAsync(CommandDefinition command) =>
        RunAsync(c => c.ExecuteAsync(command), command.CancellationToken);

    private async ValueTask<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken)
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

    /// <summary>Runs <paramref name="work"/> on a pooled connection; a read takes one of the read slots (<see cref="DataSources.ReadSlots"/>).</summary>
    private Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) =>
        RunAsync(work, readSlots, cancellationToken);

    /// <summary>A query that costs the database real CPU: it holds a heavy-query slot instead of a read slot.</summary>
    private Task<T> RunHeavyAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken) =>
        HeavyAsync(() => RunAsync(work, null, cancellationToken), cancellationToken);

    private async Task<T> RunAsync<T>(Func<DbConnection, Task<T>> work, SemaphoreSlim? slots, CancellationToken cancellationToken)
    {
        if (writes)
        {
            return await WithConnectionAsync(work, CancellationToken.None);
        }

        return await InSlotAsync(slots, () => OnReadSourceAsync(work), cancellationToken);
    }

    private async Task<T> OnReadSourceAsync<T>(Func<DbConnection, Task<T>> work)
    {
        try
        {
            return await GuardedAsync(Source.CreateConnection(), work);
        }
        catch (NpgsqlException e) when (fallback is not null && IsConnectionFailure(e))
        {
            // A replica that went away: this read goes to the primary, and the pool finds the replica again when it returns.
            return await GuardedAsync(fallback.CreateConnection(), work);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> on a connection of its own, typically a transaction,
    /// and sees that a statement PostgreSQL refused does not spoil the connection for the next request (<see cref="ForgetPrepared"/>).
    /// </summary>
    public async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken) =>
        await GuardedAsync(await OpenConnectionAsync(cancellationToken), work);

    /// <inheritdoc cref="WithConnectionAsync{T}(Func{NpgsqlConnection, Task{T}}, CancellationToken)"/>
    public Task WithConnectionAsync(Func<NpgsqlConnection, Task> work, CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            await work(connection);
            return true;
        }, cancellationToken);

    private static async Task<T> GuardedAsync<T>(NpgsqlConnection connection, Func<NpgsqlConnection, Task<T>> work)
    {
        await using (connection)
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync();
            }

            try
            {
                return await work(connection);
            }
            catch (PostgresException)
            {
                ForgetPrepared(connection);
                throw;
            }
        }
    }

    /// <summary>
    /// Drops the connection's prepared statements, on PostgreSQL and in Npgsql, after PostgreSQL refused a statement. When the
    /// refused execution was the one preparing its statement and PostgreSQL refused it while binding the values (text with NUL,
    /// or a value out of range in an expression PostgreSQL folds when it plans for the values), Npgsql 10 keeps the statement as
    /// prepared without the columns it returns, and the next execution on the same connection fails ("Received unexpected backend
    /// message DataRow"): a 500 for an unrelated request. Refusals are rare, and the statements are prepared again after two uses.
    /// </summary>
    private static void ForgetPrepared(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return; // a broken connection leaves the pool anyway
        }

        try
        {
            connection.UnprepareAll();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or NotSupportedException)
        {
            // The refusal itself still reaches the caller. A connection that failed here is broken and leaves the pool;
            // a multiplexed one (NotSupportedException) shares its statements and cannot drop them.
        }
    }

    private static bool IsConnectionFailure(NpgsqlException e) =>
        e.IsTransient || e.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException
        || e is PostgresException { SqlState: "57P01" or "57P02" or "57P03" };
}
