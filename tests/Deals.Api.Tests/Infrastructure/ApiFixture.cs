using System.Net.Http.Headers;
using Dapper;
using Deals.Api.Keys;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>
/// The real API on a loopback port over a database of its own (a copy of the migrated, seeded
/// template), shared by the tests of one class. Tests talk to it over HTTP and look at what it
/// stored through <see cref="QueryAsync{T}"/>.
/// </summary>
public class ApiFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private NpgsqlDataSource? _db;

    /// <summary>A client sending an admin key, so that tests may read and write anything.</summary>
    public HttpClient Client { get; private set; } = null!;

    public string AdminKey { get; private set; } = "";

    /// <summary>A client sending <paramref name="key"/> (none: anonymous).</summary>
    public HttpClient ClientWith(string? key)
    {
        var client = new HttpClient { BaseAddress = new Uri(_app!.Urls.First()) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public string ConnectionString { get; private set; } = "";

    /// <summary>The running app's services, to check how it is wired where HTTP cannot show it.</summary>
    public IServiceProvider Services => _app!.Services;

    /// <summary>The exceptions behind any 500 the app answered (its answers never show them).</summary>
    public UnexpectedErrors Errors { get; } = new();

    /// <summary>Settings a fixture adds to the defaults, as <c>--Key=value</c> arguments.</summary>
    protected virtual IEnumerable<string> Settings => [];

    public virtual async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync();
        _db = NpgsqlDataSource.Create(ConnectionString);
        _app = await DealsApp.CreateAsync(
        [
            $"--ConnectionStrings:Deals={ConnectionString}",
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            // The exceptions behind 500s go to Errors, not to the test run's console.
            $"--Logging:LogLevel:{UnexpectedErrors.Category}=Error",
            $"--Logging:Console:LogLevel:{UnexpectedErrors.Category}=Critical",
            "--RateLimits:PerSecond=100000",
            "--RateLimits:Burst=100000",
            "--RateLimits:AnonymousPerSecond=100000",
            .. Settings,
        ], configure: builder => builder.Logging.AddProvider(Errors))
            ?? throw new InvalidOperationException("The API did not start.");
        await _app.StartAsync();
        AdminKey = await TestKeys.CreateAsync(ConnectionString, Role.Admin);
        Client = ClientWith(AdminKey);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
        }

        await TestDatabase.DropAsync(ConnectionString);
    }

    /// <summary>Writes to the database directly, to set up data a test needs.</summary>
    public async Task<int> ExecuteAsync(string sql, object? args = null)
    {
        await using var connection = await _db!.OpenConnectionAsync();
        return await connection.ExecuteAsync(sql, args);
    }

    /// <summary>Reads the database directly, to check what a request stored.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, object? args = null)
    {
        await using var connection = await _db!.OpenConnectionAsync();
        return [.. await connection.QueryAsync<T>(sql, args)];
    }
}
