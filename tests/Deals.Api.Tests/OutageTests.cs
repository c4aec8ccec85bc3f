using System.Diagnostics;
using System.Net;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Deals.Api.Tests;

/// <summary>PostgreSQL stopped under a running API, and started again.</summary>
public sealed class OutageTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("deals-outage-").FullName;
    private LocalPostgres _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None);
        Database.Migrate(_cluster.ConnectionString("deals"), NullLogger.Instance);
        Database.Seed(_cluster.ConnectionString("deals"), NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task While_postgresql_is_down_every_endpoint_answers_503_quickly_and_it_recovers_without_a_restart()
    {
        var connection = _cluster.ConnectionString("deals");
        var key = await TestKeys.CreateAsync(connection, Deals.Api.Keys.Role.Writer);
        var app = (await DealsApp.CreateAsync([$"--ConnectionStrings:Deals={connection}", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Critical"]))!;
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) }.Authorize(key);
            await client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
            await client.GetAsync("/health/ready").ShouldBe(HttpStatusCode.OK);

            await _cluster.StopAsync();

            foreach (var (method, path, body) in new[]
            {
                ("GET", "/v1/companies/red-hat", (string?)null), ("GET", "/v1/acquisitions?sort=-announcedOn", null),
                ("POST", "/v1/companies", """{"name": "During Outage"}"""), ("GET", "/v1/stats/years", null), ("GET", "/health/ready", null),
            })
            {
                var watch = Stopwatch.StartNew();
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (body is not null)
                {
                    request.Content = Http.JsonBody(body);
                }

                var response = await client.SendAsync(request);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{method} {path} took {watch.Elapsed}");
                await response.ShouldBeProblem(HttpStatusCode.ServiceUnavailable, "/problems/unavailable");
                Assert.True(response.Headers.Contains("Retry-After"), $"{method} {path} has no Retry-After");
            }

            await client.GetAsync("/health/live").ShouldBe(HttpStatusCode.OK);

            _cluster = await LocalPostgres.StartAsync(TestDatabase.Binaries, _root, "deals", NullLogger.Instance, CancellationToken.None, new Npgsql.NpgsqlConnectionStringBuilder(connection).Port);
            var back = HttpStatusCode.ServiceUnavailable;
            for (var i = 0; i < 50 && back != HttpStatusCode.OK; i++)
            {
                back = (await client.GetAsync("/v1/companies/red-hat")).StatusCode;
                await Task.Delay(100);
            }

            Assert.Equal(HttpStatusCode.OK, back);
            await client.PostJsonAsync("/v1/companies", """{"name": "After Outage"}""").ShouldBe(HttpStatusCode.Created);
            await client.GetAsync("/health/ready").ShouldBe(HttpStatusCode.OK);
            Assert.Empty(await new ApiQuery(connection).Names("During Outage"));
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private sealed class ApiQuery(string connection)
    {
        public async Task<List<string>> Names(string name)
        {
            await using var db = new Npgsql.NpgsqlConnection(connection + ";Pooling=false");
            await db.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("SELECT name FROM companies WHERE name = $1", db) { Parameters = { new() { Value = name } } };
            var names = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                names.Add(reader.GetString(0));
            }

            return names;
        }
    }
}
