using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.Metrics;
using System.Numerics;
using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// A lookup by key (a deal by id, a company by slug) that concurrent requests can share. Its SQL names the
/// keys once, as <c>ANY (@Keys)</c>; <see cref="Read"/> maps the rows of a statement, and each row names its own key
/// (<see cref="KeyOf"/>). One instance per lookup, in a static field: <see cref="LookupBatches"/> batches the requests
/// of the same instance.
/// </summary>
public sealed class KeyLookup<TKey, T>
    where TKey : notnull
    where T : class
{
    // By statement size: 1, 2, 4 ... MaxBatch keys.
    private readonly string[] _sql;

    public KeyLookup(string sql, Func<DbConnection, CommandDefinition, Task<List<T>>> read, Func<T, TKey> keyOf)
    {
        Read = read;
        KeyOf = keyOf;
        _sql = [.. Enumerable.Range(0, BitOperations.Log2(LookupBatches.MaxBatch) + 1).Select(i => KeyLookup.Sized(sql, 1 << i))];
    }

    public Func<DbConnection, CommandDefinition, Task<List<T>>> Read { get; }

    public Func<T, TKey> KeyOf { get; }

    /// <summary>
    /// The statement for <paramref name="keys"/>: one of a few sizes (powers of two), the last key repeated to fill it.
    /// An array parameter (<c>= ANY (@Keys)</c>) would do for every size, but PostgreSQL cannot tell how many keys it
    /// holds until it sees them, so it planned every execution afresh, about 1 ms each (a deal by id fell from 5,900
    /// to 1,200 requests a second); a fixed number of parameters is planned once per connection.
    /// </summary>
    public CommandDefinition Statement(IReadOnlyList<TKey> keys)
    {
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)keys.Count);
        var parameters = new DynamicParameters();
        for (var k = 0; k < size; k++)
        {
            parameters.Add($"K{k}", keys[Math.Min(k, keys.Count - 1)]);
        }

        return new CommandDefinition(_sql[BitOperations.Log2((uint)size)], parameters);
    }
}

public static class KeyLookup
{
    private const string Keys = "ANY (@Keys)";

    /// <summary>A lookup whose rows Dapper maps by column name.</summary>
    public static KeyLookup<TKey, T> Mapped<TKey, T>(string sql, Func<T, TKey> keyOf)
        where TKey : notnull
        where T : class =>
        new(sql, async (connection, statement) => [.. await connection.QueryAsync<T>(statement)], keyOf);

    /// <summary>A lookup's SQL for <paramref name="size"/> keys, as parameters <c>@K0</c>, <c>@K1</c> and on.</summary>
    public static string Sized(string sql, int size) =>
        sql.Contains(Keys, StringComparison.Ordinal)
            ? sql.Replace(Keys, $"ANY (ARRAY[{string.Join(", ", Enumerable.Range(0, size).Select(k => $"@K{k}"))}])", StringComparison.Ordinal)
            : throw new ArgumentException($"A lookup's SQL takes its keys as {Keys}.", nameof(sql));
}

/// <summary>
/// Lookups by key that arrive together go to PostgreSQL together. A lookup that finds no other in flight is sent
/// at once, alone, so a lone request waits for nothing; the lookups that arrive while statements are out (at most
/// <see cref="Flights"/> at a time, the read slots) wait for the next one to return and then go as one statement
/// for up to <see cref="MaxBatch"/> keys. Every statement costs PostgreSQL and Npgsql a round trip whatever its size:
/// pgbench on a deal by id (1M deals, 8 clients) served 24,200–27,600 statements a second of one id, and
/// 49,300 deals a second in statements of 4 ids, 54,800 in statements of 8.
/// Each lookup still gets its own row, from the statement that runs after it arrives, so it sees every write
/// committed before its request was made (<see cref="ReadRouting"/> decides the server, as for any read).
/// </summary>
public sealed class LookupBatches(int flights)
{
    /// <summary>The most keys one statement asks for.</summary>
    public const int MaxBatch = 32;

    /// <summary>The meter of the API's own instruments, exported with ASP.NET Core's and Npgsql's (<see cref="Observability"/>).</summary>
    public const string MeterName = "Deals.Api";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> KeysPerStatement =
        Meter.CreateHistogram<int>("deals.lookup.keys", "{key}", "Keys one lookup statement carried: a deal, company or product by id or slug.");

    private readonly ConcurrentDictionary<(NpgsqlDataSource Source, object Lookup), object> _batchers = new();

    /// <summary>How many statements of one lookup may be out at once.</summary>
    public int Flights { get; } = Math.Max(1, flights);

    /// <summary>Lookups made, and statements sent for them, since start: their ratio is the mean batch.</summary>
    public (long Lookups, long Statements) Counts => (Interlocked.Read(ref _lookups), Interlocked.Read(ref _statements));

    /// <summary>Lookups waiting for a statement now.</summary>
    public int Waiting => _batchers.Values.Sum(b => ((IWaiting)b).Waiting);

    private long _lookups;
    private long _statements;

    /// <summary>
    /// The row of <paramref name="key"/> (null when there is none), read over <paramref name="source"/> by
    /// <paramref name="run"/>, which runs a statement as the request's <see cref="Db"/> runs a read.
    /// </summary>
    internal Task<T?> FindAsync<TKey, T>(KeyLookup<TKey, T> lookup, TKey key, NpgsqlDataSource source,
        Func<Func<DbConnection, Task<List<T>>>, Task<List<T>>> run, CancellationToken cancellationToken)
        where TKey : notnull
        where T : class
    {
        Interlocked.Increment(ref _lookups);
        var batcher = (Batcher<TKey, T>)_batchers.GetOrAdd((source, lookup), _ => new Batcher<TKey, T>(this, lookup));
        return batcher.FindAsync(key, run, cancellationToken);
    }

    private interface IWaiting
    {
        int Waiting { get; }
    }

    private sealed class Batcher<TKey, T>(LookupBatches owner, KeyLookup<TKey, T> lookup) : IWaiting
        where TKey : notnull
        where T : class
    {
        private readonly Lock _gate = new();
        private readonly List<(TKey Key, TaskCompletionSource<T?> Found)> _waiting = [];
        private int _flying;

        public int Waiting
        {
            get
            {
                lock (_gate)
                {
                    return _waiting.Count;
                }
            }
        }

        public Task<T?> FindAsync(TKey key, Func<Func<DbConnection, Task<List<T>>>, Task<List<T>>> run, CancellationToken cancellationToken)
        {
            // Answered on the thread pool, not on the thread that read the statement's rows, which goes on to the next waiter.
            var found = new TaskCompletionSource<T?>(TaskCreationOptions.RunContinuationsAsynchronously);
            bool fly;
            lock (_gate)
            {
                _waiting.Add((key, found));
                fly = _flying < owner.Flights;
                if (fly)
                {
                    _flying++;
                }
            }

            if (fly)
            {
                _ = FlyAsync(run);
            }

            // A request that gives up stops waiting; the statement, shared with others, runs on.
            return found.Task.WaitAsync(cancellationToken);
        }

        /// <summary>Sends statements while lookups wait, each for as many of them as it may take.</summary>
        private async Task FlyAsync(Func<Func<DbConnection, Task<List<T>>>, Task<List<T>>> run)
        {
            while (true)
            {
                List<(TKey Key, TaskCompletionSource<T?> Found)> batch;
                lock (_gate)
                {
                    if (_waiting.Count == 0)
                    {
                        _flying--;
                        return;
                    }

                    var take = Math.Min(_waiting.Count, MaxBatch);
                    batch = _waiting.GetRange(0, take);
                    _waiting.RemoveRange(0, take);
                }

                Interlocked.Increment(ref owner._statements);
                try
                {
                    var keys = batch.Select(w => w.Key).Distinct().ToArray();
                    KeysPerStatement.Record(keys.Length);
                    var rows = await run(connection => lookup.Read(connection, lookup.Statement(keys)));
                    var byKey = rows.ToDictionary(lookup.KeyOf);
                    foreach (var (key, found) in batch)
                    {
                        found.TrySetResult(byKey.GetValueOrDefault(key));
                    }
                }
                catch (Exception e)
                {
                    foreach (var (_, found) in batch)
                    {
                        found.TrySetException(e);
                    }
                }
            }
        }
    }
}
