using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.Metrics;
using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// A lookup by key (a deal by id, a company by slug, a company's chain of parents as of a date) that concurrent
/// requests can share. Its SQL names the keys once, as <c>ANY (@Keys)</c>, or is written for each statement size when a
/// key is more than one value; <see cref="Read"/> maps the rows of a statement, and each result names its own key
/// (<see cref="KeyOf"/>). One instance per lookup, in a static field: <see cref="LookupBatches"/> batches the requests
/// of the same instance.
/// </summary>
public sealed class KeyLookup<TKey, T>
    where TKey : notnull
    where T : class
{
    // By statement size (KeyLookup.Sizes): the SQL for 1, 4, 16 and 64 keys.
    private readonly string[] _sql;
    private readonly Action<DynamicParameters, int, TKey> _bind;

    public KeyLookup(string name, string sql, Func<DbConnection, CommandDefinition, Task<List<T>>> read, Func<T, TKey> keyOf)
        : this(name, size => KeyLookup.Sized(sql, size), static (parameters, k, key) => parameters.Add($"K{k}", key), read, keyOf)
    {
    }

    /// <summary>
    /// A lookup whose key is more than one value (a company and a date): <paramref name="sqlFor"/> writes the statement
    /// for a number of keys, and <paramref name="bind"/> adds the parameters of the key at a position. A statement may
    /// carry the same key more than once (the last key fills it up to its size).
    /// </summary>
    public KeyLookup(string name, Func<int, string> sqlFor, Action<DynamicParameters, int, TKey> bind,
        Func<DbConnection, CommandDefinition, Task<List<T>>> read, Func<T, TKey> keyOf)
    {
        Name = name;
        Read = read;
        KeyOf = keyOf;
        _bind = bind;
        _sql = [.. KeyLookup.Sizes.Select(sqlFor)];
    }

    /// <summary>What the lookup finds, as the <c>deals.lookup</c> tag of its metric (<c>acquisition-by-id</c>).</summary>
    public string Name { get; }

    public Func<DbConnection, CommandDefinition, Task<List<T>>> Read { get; }

    public Func<T, TKey> KeyOf { get; }

    /// <summary>
    /// The statement for <paramref name="keys"/>: one of a few sizes, the last key repeated to fill it.
    /// An array parameter (<c>= ANY (@Keys)</c>) would do for every size, but PostgreSQL cannot tell how many keys it
    /// holds until it sees them, so it planned every execution afresh, about 1 ms each (a deal by id fell from 5,900
    /// to 1,200 requests a second); a fixed number of parameters is planned once per connection. Four sizes, so the
    /// six lookups take 24 of each connection's 64 automatically prepared statements. A writing request reads its row
    /// back with the one-key statement, inside its <paramref name="transaction"/>.
    /// </summary>
    public CommandDefinition Statement(IReadOnlyList<TKey> keys, System.Data.IDbTransaction? transaction = null, CancellationToken cancellationToken = default)
    {
        var index = Array.FindIndex(KeyLookup.Sizes, size => size >= keys.Count);
        var parameters = new DynamicParameters();
        for (var k = 0; k < KeyLookup.Sizes[index]; k++)
        {
            _bind(parameters, k, keys[Math.Min(k, keys.Count - 1)]);
        }

        return new CommandDefinition(_sql[index], parameters, transaction, cancellationToken: cancellationToken);
    }
}

public static class KeyLookup
{
    private const string Keys = "ANY (@Keys)";

    /// <summary>How many keys a lookup statement may carry: the first size that holds them all.</summary>
    internal static readonly int[] Sizes = [1, 4, 16, LookupBatches.MaxBatch];

    /// <summary>A lookup whose rows Dapper maps by column name.</summary>
    public static KeyLookup<TKey, T> Mapped<TKey, T>(string name, string sql, Func<T, TKey> keyOf)
        where TKey : notnull
        where T : class =>
        new(name, sql, async (connection, statement) => [.. await connection.QueryAsync<T>(statement)], keyOf);

    /// <summary>A lookup's SQL for <paramref name="size"/> keys, as parameters <c>@K0</c>, <c>@K1</c> and on.</summary>
    public static string Sized(string sql, int size) =>
        sql.Contains(Keys, StringComparison.Ordinal)
            ? sql.Replace(Keys, $"ANY (ARRAY[{string.Join(", ", Enumerable.Range(0, size).Select(k => $"@K{k}"))}])", StringComparison.Ordinal)
            : throw new ArgumentException($"A lookup's SQL takes its keys as {Keys}.", nameof(sql));
}

/// <summary>
/// Lookups by key that arrive together go to PostgreSQL together. A lookup that finds no statement of its kind out
/// is sent at once, alone; one that arrives while <see cref="Flights"/> statements of its kind are out (per lookup and
/// per database server) waits for one to return, up to one round trip, and then goes with the others that waited, up
/// to <see cref="MaxBatch"/> keys a statement. Every statement costs PostgreSQL and Npgsql a round trip whatever its
/// size: pgbench on a deal by id (1M deals, 8 clients) served 24,200–27,600 statements a second of one id, and 49,300
/// deals a second in statements of 4 ids, 54,800 in statements of 8.
/// Each lookup still gets its own row, from a statement sent after it arrived, so it sees every write committed
/// before its request was made (<see cref="ReadRouting"/> decides the server, as for any read).
/// </summary>
public sealed class LookupBatches(int flights)
{
    /// <summary>The most keys one statement asks for.</summary>
    public const int MaxBatch = 64;

    /// <summary>The meter of the API's own instruments, exported with ASP.NET Core's and Npgsql's (<see cref="Observability"/>).</summary>
    public const string MeterName = "Deals.Api";

    /// <summary>A histogram of the distinct keys each statement carried, tagged with the lookup and the database.</summary>
    public const string KeysMetric = "deals.lookup.keys";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<int> KeysPerStatement =
        Meter.CreateHistogram<int>(KeysMetric, "{key}", "Distinct keys one lookup statement carried: a deal, company or product by id or slug, or a company's chain of parents.");

    private readonly ConcurrentDictionary<(NpgsqlDataSource Source, object Lookup), object> _batchers = new();

    /// <summary>How many statements of one lookup may be out at once, per database server.</summary>
    public int Flights { get; } = Math.Max(1, flights);

    /// <summary>Lookups made, and statements sent for them, since start: their ratio is the mean batch.</summary>
    public (long Lookups, long Statements) Counts => (Interlocked.Read(ref _lookups), Interlocked.Read(ref _statements));

    /// <summary>Lookups waiting for a statement now (not those whose requests gave up).</summary>
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
        // Static factory with its argument: a capturing lambda would allocate on every lookup, found or not.
        var batcher = (Batcher<TKey, T>)_batchers.GetOrAdd((source, lookup),
            static (key, owner) => new Batcher<TKey, T>(owner, (KeyLookup<TKey, T>)key.Lookup, key.Source), this);
        return batcher.FindAsync(key, run, cancellationToken);
    }

    private interface IWaiting
    {
        int Waiting { get; }
    }

    private sealed class Batcher<TKey, T>(LookupBatches owner, KeyLookup<TKey, T> lookup, NpgsqlDataSource source) : IWaiting
        where TKey : notnull
        where T : class
    {
        private readonly Lock _gate = new();
        private readonly List<Waiter> _waiting = [];
        private readonly KeyValuePair<string, object?>[] _tags =
        [
            new("deals.lookup", lookup.Name),
            new("db.namespace", new NpgsqlConnectionStringBuilder(source.ConnectionString).Database),
        ];

        private int _flying;

        public int Waiting
        {
            get
            {
                lock (_gate)
                {
                    return _waiting.Count(w => !w.Found.Task.IsCompleted);
                }
            }
        }

        public Task<T?> FindAsync(TKey key, Func<Func<DbConnection, Task<List<T>>>, Task<List<T>>> run, CancellationToken cancellationToken)
        {
            // Answered on the thread pool, not on the thread that read the statement's rows, which goes on to the next waiter.
            var found = new TaskCompletionSource<T?>(TaskCreationOptions.RunContinuationsAsynchronously);
            // A request that gives up stops waiting and leaves the queue; a statement already sent runs on for the others.
            var giveUp = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource<T?>)state!).TrySetCanceled(token), found)
                : default;
            bool fly;
            lock (_gate)
            {
                _waiting.Add(new Waiter(key, found, giveUp));
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

            return found.Task;
        }

        /// <summary>Sends statements while lookups wait, each for as many of them as it may take.</summary>
        private async Task FlyAsync(Func<Func<DbConnection, Task<List<T>>>, Task<List<T>>> run)
        {
            while (TakeBatch() is { } batch)
            {
                try
                {
                    Interlocked.Increment(ref owner._statements);
                    var keys = batch.Select(w => w.Key).Distinct().ToArray();
                    KeysPerStatement.Record(keys.Length, _tags);
                    var rows = await run(connection => lookup.Read(connection, lookup.Statement(keys)));
                    var byKey = new Dictionary<TKey, T>(rows.Count);
                    foreach (var row in rows)
                    {
                        byKey.TryAdd(lookup.KeyOf(row), row); // the first row of a key, as a lookup alone took it
                    }

                    foreach (var waiter in batch)
                    {
                        waiter.Found.TrySetResult(byKey.GetValueOrDefault(waiter.Key));
                    }
                }
                catch (Exception e)
                {
                    foreach (var waiter in batch)
                    {
                        waiter.Found.TrySetException(e);
                    }
                }
                finally
                {
                    foreach (var waiter in batch)
                    {
                        waiter.GiveUp.Dispose();
                    }
                }
            }
        }

        /// <summary>Up to <see cref="MaxBatch"/> waiting lookups, skipping those given up; null (and one flight fewer) when none wait.</summary>
        private List<Waiter>? TakeBatch()
        {
            lock (_gate)
            {
                var batch = new List<Waiter>();
                var taken = 0;
                while (taken < _waiting.Count && batch.Count < MaxBatch)
                {
                    var waiter = _waiting[taken++];
                    if (waiter.Found.Task.IsCompleted)
                    {
                        waiter.GiveUp.Dispose();
                    }
                    else
                    {
                        batch.Add(waiter);
                    }
                }

                _waiting.RemoveRange(0, taken);
                if (batch.Count == 0)
                {
                    _flying--;
                    return null;
                }

                return batch;
            }
        }

        private readonly record struct Waiter(TKey Key, TaskCompletionSource<T?> Found, CancellationTokenRegistration GiveUp);
    }
}
