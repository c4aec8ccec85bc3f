using System.Net;
using Dapper;
using Deals.Api.Tests.Infrastructure;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>Starting against a configured server, and failing to start with one clear sentence.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Without_postgresql_binaries_the_local_run_exits_with_one_sentence_saying_what_to_do()
    {
        var message = await RefusalAsync(["--Local:PostgresBin=/nonexistent/bin", "--Local:DataDirectory=/nonexistent/data"]);
        Assert.Contains("No PostgreSQL server binaries were found", message);
        Assert.Contains("ConnectionStrings__Deals", message);
        Assert.Single(message.Split('\n'));
    }

    [Fact]
    public async Task Configured_server_without_schema_is_refused_until_migrated_and_gets_no_samples()
    {
        var connection = await TestDatabase.CreateEmptyAsync();
        try
        {
            var args = ServerArgs(connection);
            Assert.Contains("-- migrate", await RefusalAsync(args));

            Assert.Equal(0, await Commands.MigrateAsync([$"--ConnectionStrings:Deals={connection}"]));

            await ServeAsync(args, async client =>
            {
                await client.GetAsync("/v1/companies").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
                client.Authorize(await TestKeys.CreateAsync(connection, Deals.Api.Keys.Role.Reader));
                var page = await client.GetAsync("/v1/companies").ShouldBe(HttpStatusCode.OK);
                Assert.Empty(page["items"]!.AsArray());
            });
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }

    [Fact]
    public async Task Configured_server_with_an_older_schema_is_refused_naming_the_migration_it_has_not_run()
    {
        var connection = await TestDatabase.CreateAsync();
        try
        {
            // A database as the previous release left it: the newest migration not run. Serving it answered writes with 500s.
            string latest;
            await using (var db = new NpgsqlConnection(connection))
            {
                latest = (await db.ExecuteScalarAsync<string>(
                    "DELETE FROM schema_versions WHERE schemaversionsid = (SELECT max(schemaversionsid) FROM schema_versions) RETURNING scriptname"))!;
            }

            var args = ServerArgs(connection);
            var message = await RefusalAsync(args);
            Assert.Contains("older than this version", message);
            Assert.Contains($"1 migration(s) not run, from {latest}", message);
            Assert.Contains("-- migrate", message);
            Assert.Single(message.Split('\n'));

            // Up to date again, it serves.
            await using (var db = new NpgsqlConnection(connection))
            {
                await db.ExecuteAsync("INSERT INTO schema_versions (scriptname, applied) VALUES (@Latest, now())", new { Latest = latest });
            }

            await ServeAsync(args, async client => await client.GetAsync("/health/ready").ShouldBe(HttpStatusCode.OK));
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }

    [Fact]
    public async Task Configured_server_is_migrated_at_start_when_asked()
    {
        var connection = await TestDatabase.CreateEmptyAsync();
        try
        {
            await ServeAsync([.. ServerArgs(connection), "--Database:MigrateOnStart=true"], async client =>
            {
                client.Authorize(await TestKeys.CreateAsync(connection, Deals.Api.Keys.Role.Writer));
                await client.PostJsonAsync("/v1/companies", """{"name": "Fresh Start"}""").ShouldBe(HttpStatusCode.Created);
            });
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }

    private static string[] ServerArgs(string connection) =>
        [$"--ConnectionStrings:Deals={connection}", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"];

    /// <summary>What the app says on standard error when it refuses to start (it must refuse).</summary>
    private static async Task<string> RefusalAsync(string[] args)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Null(await DealsApp.CreateAsync(args));
        }
        finally
        {
            Console.SetError(original);
        }

        return error.ToString().Trim();
    }

    /// <summary>Starts the app (it must start) and runs <paramref name="check"/> against it over loopback HTTP.</summary>
    private static async Task ServeAsync(string[] args, Func<HttpClient, Task> check)
    {
        var app = (await DealsApp.CreateAsync(args))!;
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await check(client);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
