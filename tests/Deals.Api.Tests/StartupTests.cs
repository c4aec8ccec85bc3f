using System.Net;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>Starting against a configured server, and failing to start with one clear sentence.</summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Without_postgresql_binaries_the_local_run_exits_with_one_sentence_saying_what_to_do()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var app = await DealsApp.CreateAsync(["--Local:PostgresBin=/nonexistent/bin", "--Local:DataDirectory=/nonexistent/data"]);
            Assert.Null(app);
        }
        finally
        {
            Console.SetError(original);
        }

        var message = error.ToString().Trim();
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
            var args = new[] { $"--ConnectionStrings:Deals={connection}", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning" };
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

            Assert.Contains("-- migrate", error.ToString());

            Assert.Equal(0, await Commands.MigrateAsync([$"--ConnectionStrings:Deals={connection}"]));

            var app = (await DealsApp.CreateAsync(args))!;
            await app.StartAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                await client.GetAsync("/v1/companies").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
                client.Authorize(await TestKeys.CreateAsync(connection, Deals.Api.Keys.Role.Reader));
                var page = await client.GetAsync("/v1/companies").ShouldBe(HttpStatusCode.OK);
                Assert.Empty(page["items"]!.AsArray());
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
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
            var app = (await DealsApp.CreateAsync([$"--ConnectionStrings:Deals={connection}", "--Database:MigrateOnStart=true",
                "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]))!;
            await app.StartAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                client.Authorize(await TestKeys.CreateAsync(connection, Deals.Api.Keys.Role.Writer));
                await client.PostJsonAsync("/v1/companies", """{"name": "Fresh Start"}""").ShouldBe(HttpStatusCode.Created);
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            await TestDatabase.DropAsync(connection);
        }
    }
}
