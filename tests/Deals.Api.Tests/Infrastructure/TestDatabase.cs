using Deals.Api.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>
/// One PostgreSQL server per test run: a throwaway cluster in a temporary directory, or the server in
/// <c>DEALS_TEST_CONNECTION</c>. It holds a template database, migrated and loaded with the sample deals
/// once; every test class gets a fresh copy of it, so classes never see each other's data.
/// </summary>
public static class TestDatabase
{
    private const string Template = "deals_test_template";
    private static readonly Lazy<Task<Server>> Shared = new(StartAsync);

    /// <summary>A new database, copied from the template, and its connection string.</summary>
    public static async Task<string> CreateAsync()
    {
        var server = await Shared.Value;
        var name = "deals_test_" + Guid.NewGuid().ToString("N")[..12];
        await server.ExecuteAsync($"CREATE DATABASE {name} TEMPLATE {Template}");
        return server.ConnectionString(name);
    }

    /// <summary>A new, empty database (no schema), for tests of migrating and starting against a configured server.</summary>
    public static async Task<string> CreateEmptyAsync()
    {
        var server = await Shared.Value;
        var name = "deals_test_" + Guid.NewGuid().ToString("N")[..12];
        await server.ExecuteAsync($"CREATE DATABASE {name}");
        return server.ConnectionString(name);
    }

    public static async Task DropAsync(string connectionString)
    {
        var server = await Shared.Value;
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await server.ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    /// <summary>The PostgreSQL binaries the tests use (for tests of the local cluster itself).</summary>
    public static string Binaries => LocalPostgres.FindBinaries(null)
        ?? throw new InvalidOperationException("The tests need PostgreSQL server binaries (apt-get install postgresql) or DEALS_TEST_CONNECTION.");

    private static async Task<Server> StartAsync()
    {
        Server server;
        var configured = Environment.GetEnvironmentVariable("DEALS_TEST_CONNECTION");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            server = new Server(db => new NpgsqlConnectionStringBuilder(configured) { Database = db }.ConnectionString, null, null);
        }
        else
        {
            RemoveStaleClusters();
            var root = Directory.CreateTempSubdirectory("deals-tests-").FullName;
            var cluster = await LocalPostgres.StartAsync(Binaries, root, "postgres", NullLogger.Instance, CancellationToken.None);
            server = new Server(cluster.ConnectionString, cluster, root);
        }

        await server.ExecuteAsync($"DROP DATABASE IF EXISTS {Template} WITH (FORCE)");
        await server.ExecuteAsync($"CREATE DATABASE {Template}");
        var template = server.ConnectionString(Template);
        Database.Migrate(template, NullLogger.Instance);
        Database.Seed(template, NullLogger.Instance);
        NpgsqlConnection.ClearAllPools(); // a template must have no open connections to be copied

        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
        return server;
    }

    /// <summary>
    /// The test host may be ended before its exit handler has removed the cluster directory; the
    /// next run removes those whose server is no longer running.
    /// </summary>
    private static void RemoveStaleClusters()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), "deals-*-*"))
        {
            if (!File.Exists(Path.Combine(dir, "pg", "postmaster.pid")) && Directory.GetLastWriteTimeUtc(dir) < DateTime.UtcNow.AddMinutes(-10))
            {
                try
                {
                    Directory.Delete(dir, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another run's, or not ours to remove.
                }
            }
        }
    }

    private sealed class Server(Func<string, string> connectionString, LocalPostgres? cluster, string? root) : IDisposable
    {
        public string ConnectionString(string database) => connectionString(database);

        public async Task ExecuteAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            if (cluster is not null)
            {
                cluster.StopAsync().GetAwaiter().GetResult();
                try
                {
                    Directory.Delete(root!, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // A leftover temp directory is removed by the next run.
                }
            }
        }
    }
}
