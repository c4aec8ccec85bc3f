using System.Reflection;
using DbUp;
using DbUp.Engine.Output;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>How the API finds its database, and what it does to it at start.</summary>
public enum DatabaseMode
{
    /// <summary>No connection string: a private cluster under <c>.data/</c>, migrated and seeded with sample deals.</summary>
    Local,

    /// <summary><c>ConnectionStrings:Deals</c> is set: use that server as it is; migrate only when asked.</summary>
    Configured,
}

/// <summary>Schema migrations and sample data, both plain SQL embedded from <c>db/</c> and applied by DbUp.</summary>
public static class Database
{
    private static readonly Assembly Scripts = typeof(Database).Assembly;

    /// <summary>Applies every script of <c>db/migrations</c> not applied yet, in name order, each in its own transaction.</summary>
    public static void Migrate(string connectionString, ILogger logger) =>
        Apply(connectionString, "migrations/", "schema_versions", logger);

    /// <summary>Loads the sample deals of <c>db/seed</c> once; later runs find them journalled and keep the data as it is.</summary>
    public static void Seed(string connectionString, ILogger logger) =>
        Apply(connectionString, "seed/", "seed_versions", logger);

    /// <summary>The scripts of <c>db/migrations</c> this database has not run, in the order <see cref="Migrate"/> would run them.</summary>
    public static string[] PendingMigrations(string connectionString, ILogger logger) =>
        [.. Engine(connectionString, "migrations/", "schema_versions", logger).GetScriptsToExecute().Select(s => s.Name)];

    private static void Apply(string connectionString, string prefix, string journal, ILogger logger)
    {
        var result = Engine(connectionString, prefix, journal, logger).PerformUpgrade();
        if (!result.Successful)
        {
            throw new InvalidOperationException($"Applying {result.ErrorScript?.Name ?? prefix} failed: {result.Error.Message}", result.Error);
        }
    }

    private static DbUp.Engine.UpgradeEngine Engine(string connectionString, string prefix, string journal, ILogger logger) =>
        DeployChanges.To
            .PostgresqlDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(Scripts, name => name.StartsWith(prefix, StringComparison.Ordinal))
            .JournalToPostgresqlTable("public", journal)
            .WithTransactionPerScript()
            .LogTo(new UpgradeLog(logger))
            .Build();

    /// <summary>Session settings of every API connection (tools measuring the same SQL use them too).</summary>
    public const string SessionOptions = "-c jit=off";

    /// <summary>
    /// A data source for the app: pooled, with automatic preparation of hot statements. Reads multiplex (share
    /// connections and round trips between concurrent requests) only when the connection string says
    /// <c>Multiplexing=true</c>; <paramref name="forWrites"/> never does, since writes rely on session state
    /// (<c>deals.actor</c>). On 1M deals multiplexing cut PostgreSQL's CPU per GET by id from 0.40 to 0.28 ms,
    /// but under the fuzz test a multiplexed connection answered a new query with rows it did not expect
    /// ("Received unexpected backend message DataRow"), a 500 and a risk of one request reading another's
    /// rows, so it is not the default. That is the message of a statement PostgreSQL refused while it was
    /// being prepared (Db.ForgetPrepared), which a pooled connection is cleared of and a multiplexed one cannot be. Npgsql 11 removes multiplexing altogether, so it is no path to faster
    /// reads either: such a connection string will need the keyword dropped on that upgrade.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, bool forWrites = false)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (forWrites)
        {
            builder.Multiplexing = false;
        }

        // Constraint violations name the offending key; the API turns them into 409s that say which.
        builder.IncludeErrorDetail = true;
        // Measured (tests/Deals.Benchmarks): automatic preparation and skipping the reset on return to the
        // pool lift single-row reads several times over; nothing relies on session state being reset
        // (the one session setting, deals.actor, is set by every writing request).
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        builder.NoResetOnClose = true;

        // The API's statements are short; PostgreSQL's JIT compiles any plan it costs above 100,000 and
        // spends more compiling than it saves (measured on 1M deals: 2.6 s of a 3.8 s CSV export).
        if (builder.Options?.Contains("jit", StringComparison.Ordinal) != true)
        {
            builder.Options = ((builder.Options ?? "") + " " + SessionOptions).Trim();
        }

        // A server that is down answers within seconds (503), not after the default 15 s.
        if (!Says(connectionString, "Timeout"))
        {
            builder.Timeout = 3;
        }

        var target = builder.TargetSessionAttributes;
        builder.TargetSessionAttributes = null;
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        if (builder.Host?.Contains(',', StringComparison.Ordinal) != true)
        {
            return dataSource.Build();
        }

        // Several hosts (a primary and its replicas): Npgsql tracks which is which and fails over;
        // Target Session Attributes picks the kind this source prefers.
        var hosts = dataSource.BuildMultiHost();
        return target is null ? hosts : hosts.WithTargetSession(Enum.Parse<TargetSessionAttributes>(target.Replace("-", "", StringComparison.Ordinal), ignoreCase: true));
    }

    /// <summary>
    /// Whether the connection string itself sets <paramref name="keyword"/> (Npgsql's builder answers for any
    /// keyword it knows, set or not).
    /// </summary>
    private static bool Says(string connectionString, string keyword) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.ContainsKey(keyword);

    private sealed class UpgradeLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }

        public void LogDebug(string format, params object[] args) { }

        public void LogInformation(string format, params object[] args)
        {
            if (format.StartsWith("Executing", StringComparison.Ordinal))
            {
                logger.LogInformation("Database: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
            }
        }

        public void LogWarning(string format, params object[] args) =>
            logger.LogWarning("Database: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(string format, params object[] args) =>
            logger.LogError("Database: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));

        public void LogError(Exception ex, string format, params object[] args) =>
            logger.LogError(ex, "Database: {Message}", string.Format(System.Globalization.CultureInfo.InvariantCulture, format, args));
    }
}
