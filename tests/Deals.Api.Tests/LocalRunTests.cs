using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>The private PostgreSQL of the local run: made from an empty directory, reused from an existing one.</summary>
public sealed class LocalRunTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("deals-local-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Cluster_starts_from_an_empty_directory_and_keeps_its_data_across_restarts()
    {
        var first = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None);
        await ExecuteAsync(first.ConnectionString("deals"), "CREATE TABLE kept (value text); INSERT INTO kept VALUES ('still here')");
        await first.StopAsync();
        Assert.False(File.Exists(Path.Combine(_root, "pg", "postmaster.pid")));

        var second = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None);
        try
        {
            Assert.Equal("still here", await ScalarAsync(second.ConnectionString("deals"), "SELECT value FROM kept"));
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task Cluster_already_running_in_the_directory_is_reused()
    {
        var first = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None);
        try
        {
            var second = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None);
            Assert.Equal(first.Port, second.Port);
            Assert.Equal("1", await ScalarAsync(second.ConnectionString("deals"), "SELECT '1'"));
        }
        finally
        {
            await first.StopAsync();
        }
    }

    [Fact]
    public async Task Local_run_migrates_loads_samples_once_and_stops_its_database_on_shutdown()
    {
        var args = new[] { $"--Local:DataDirectory={_root}", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" };

        var app = (await DealsApp.CreateAsync(args))!;
        await app.StartAsync();
        var adminKey = (await File.ReadAllTextAsync(Path.Combine(_root, "admin.key"))).Trim();
        using (var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) })
        {
            var deals = await client.GetAsync("/v1/companies/red-hat/acquisitions").ShouldBe(HttpStatusCode.OK);
            var qumranet = deals["items"]!.AsArray().Single(d => (string?)d!["target"]!["slug"] == "qumranet")!;
            Assert.Equal("2008-09-04", (string?)qumranet["announcedOn"]);
            Assert.Equal(107000000m, (decimal)qumranet["price"]!["amount"]!);
            Assert.Equal(["KVM", "SolidICE"], qumranet["products"]!.AsArray().Select(p => (string?)p!["name"]));
            // Reads are anonymous on the local run; writes take the local admin key.
            await client.PostJsonAsync("/v1/companies", """{"name": "Made In First Run"}""").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
            client.Authorize(adminKey);
            await client.PostJsonAsync("/v1/companies", """{"name": "Made In First Run"}""").ShouldBe(HttpStatusCode.Created);
        }

        await app.StopAsync();
        await app.DisposeAsync();
        Assert.False(File.Exists(Path.Combine(_root, "pg", "postmaster.pid")), "the private cluster is still running after shutdown");

        var again = (await DealsApp.CreateAsync(args))!;
        Assert.Equal(adminKey, (await File.ReadAllTextAsync(Path.Combine(_root, "admin.key"))).Trim());
        await again.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(again.Urls.First()) };
            await client.GetAsync("/v1/companies/made-in-first-run").ShouldBe(HttpStatusCode.OK);
            var page = await client.GetAsync("/v1/companies?limit=500").ShouldBe(HttpStatusCode.OK);
            Assert.Single(page["items"]!.AsArray(), c => (string?)c!["slug"] == "red-hat");
        }
        finally
        {
            await again.StopAsync();
            await again.DisposeAsync();
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
        NpgsqlConnection.ClearPool(connection);
    }

    private static async Task<string?> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = (string?)await command.ExecuteScalarAsync();
        NpgsqlConnection.ClearPool(connection);
        return value;
    }
}
