using System.Net;
using Dapper;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>
/// A primary and a streaming standby on loopback (<c>pg_basebackup -R</c>), and two API instances
/// reading from the standby through an Npgsql multi-host read connection.
/// </summary>
public sealed class ReplicationFixture : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("deals-replication-").FullName;
    private readonly List<WebApplication> _apps = [];
    private string _key = "";

    public LocalPostgres Primary { get; private set; } = null!;

    public LocalPostgres Standby { get; private set; } = null!;

    public HttpClient First { get; private set; } = null!;

    public HttpClient Second { get; private set; } = null!;

    public string StandbyRoot => Path.Combine(_root, "standby");

    public async Task InitializeAsync()
    {
        // The clusters live one level down; the server's user must be able to pass through.
        File.SetUnixFileMode(_root, File.GetUnixFileMode(_root) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        Primary = await LocalPostgres.StartAsync(TestDatabase.Binaries, Path.Combine(_root, "primary"), "deals", NullLogger.Instance, CancellationToken.None);
        var primary = Primary.ConnectionString("deals");
        Database.Migrate(primary, NullLogger.Instance);
        Database.Seed(primary, NullLogger.Instance);
        Standby = await LocalPostgres.StartStandbyAsync(TestDatabase.Binaries, Primary, StandbyRoot, NullLogger.Instance, CancellationToken.None);

        var read = new NpgsqlConnectionStringBuilder(primary)
        {
            Host = $"127.0.0.1:{Standby.Port},127.0.0.1:{Primary.Port}",
            TargetSessionAttributes = "prefer-standby",
            Timeout = 3,
            HostRecheckSeconds = 1, // find a restarted standby quickly

        }.ConnectionString;
        _key = await TestKeys.CreateAsync(primary, Deals.Api.Keys.Role.Writer);
        First = await StartApiAsync(primary, read + ";Application Name=deals-read-1");
        Second = await StartApiAsync(primary, read + ";Application Name=deals-read-2");
    }

    public async Task RestartStandbyAsync(int port)
    {
        Standby = await LocalPostgres.StartAsync(TestDatabase.Binaries, StandbyRoot, "postgres", NullLogger.Instance, CancellationToken.None, port);
    }

    /// <summary>How many sessions the read pool of an API instance (<paramref name="client"/>) holds on the standby.</summary>
    public async Task<long> StandbySessionsAsync(HttpClient client)
    {
        var name = client == First ? "deals-read-1" : "deals-read-2";
        await using var connection = new NpgsqlConnection(Standby.ConnectionString("postgres") + ";Pooling=false");
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = @name", new { name });
    }

    /// <summary>Runs SQL on the standby itself (such as pausing its WAL replay).</summary>
    public async Task OnStandbyAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Standby.ConnectionString("postgres") + ";Pooling=false");
        await connection.ExecuteAsync(sql);
    }

    public async Task DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (Standby is not null)
        {
            await Standby.StopAsync();
        }

        if (Primary is not null)
        {
            await Primary.StopAsync();
        }
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<HttpClient> StartApiAsync(string primary, string read)
    {
        var app = (await DealsApp.CreateAsync(
        [
            $"--ConnectionStrings:Deals={primary}", $"--ConnectionStrings:DealsRead={read}",
            "--Database:ReadAfterTimeout=00:00:00.5", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
        ]))!;
        await app.StartAsync();
        _apps.Add(app);
        return new HttpClient { BaseAddress = new Uri(app.Urls.First()) }.Authorize(_key);
    }
}

public sealed class ReplicationTests(ReplicationFixture cluster) : IClassFixture<ReplicationFixture>
{
    [Fact]
    public async Task Reads_are_served_by_the_standby_and_writes_land_on_the_primary_then_reach_the_standby()
    {
        await ReadsReachTheStandbyAsync(cluster.First);

        var name = Http.Unique("Replicated");
        var created = await cluster.First.PostJsonAsync("/v1/companies", Http.Json(new { name })).ShouldBe(HttpStatusCode.Created);
        var slug = (string)created["slug"]!;

        await using (var primary = new NpgsqlConnection(cluster.Primary.ConnectionString("deals")))
        {
            Assert.Equal(name, await primary.ExecuteScalarAsync<string>("SELECT name FROM companies WHERE slug = @slug", new { slug }));
            NpgsqlConnection.ClearPool(primary);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            status = (await cluster.Second.GetAsync($"/v1/companies/{slug}")).StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline && await Delay());
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_read_after_a_write_is_never_stale_on_another_instance()
    {
        for (var i = 0; i < 25; i++)
        {
            var write = await cluster.First.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Fresh") }));
            var created = await write.ShouldBe(HttpStatusCode.Created);
            var lsn = write.Headers.GetValues(ReadRouting.WriteLsnHeader).Single();

            using var read = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{(string)created["slug"]!}");
            read.Headers.Add(ReadRouting.ReadAfterHeader, lsn);
            await (await cluster.Second.SendAsync(read)).ShouldBe(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task While_the_standby_lags_a_plain_read_is_stale_but_a_read_after_the_write_is_not()
    {
        await ReadsReachTheStandbyAsync(cluster.Second);
        await cluster.OnStandbyAsync("SELECT pg_wal_replay_pause()");
        try
        {
            var write = await cluster.First.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Lagging") }));
            var slug = (string)(await write.ShouldBe(HttpStatusCode.Created))["slug"]!;

            // Without a position the standby answers, and it has not seen the write yet.
            await cluster.Second.GetAsync($"/v1/companies/{slug}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");

            using var read = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{slug}");
            read.Headers.Add(ReadRouting.ReadAfterHeader, write.Headers.GetValues(ReadRouting.WriteLsnHeader).Single());
            await (await cluster.Second.SendAsync(read)).ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await cluster.OnStandbyAsync("SELECT pg_wal_replay_resume()");
        }
    }

    [Fact]
    public async Task A_malformed_read_after_position_is_a_validation_problem()
    {
        using var read = new HttpRequestMessage(HttpMethod.Get, "/v1/companies/red-hat");
        read.Headers.Add(ReadRouting.ReadAfterHeader, "not-an-lsn");
        await (await cluster.First.SendAsync(read)).ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation", ReadRouting.ReadAfterHeader);
    }

    [Fact]
    public async Task A_stopped_standby_sends_reads_back_to_the_primary_without_errors()
    {
        var port = cluster.Standby.Port;
        await cluster.First.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK); // a pooled standby session exists
        await cluster.Standby.StopAsync();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                await cluster.First.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
                await cluster.Second.GetAsync("/v1/acquisitions?limit=5").ShouldBe(HttpStatusCode.OK);
            }

            await cluster.First.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("While Standby Down") })).ShouldBe(HttpStatusCode.Created);
        }
        finally
        {
            await cluster.RestartStandbyAsync(port);
        }
    }

    /// <summary>Reads until the instance's read pool has a session on the standby (another test may just have restarted it; Npgsql rechecks it within a second).</summary>
    private async Task ReadsReachTheStandbyAsync(HttpClient api)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await api.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
        }
        while (await cluster.StandbySessionsAsync(api) == 0 && DateTime.UtcNow < until && await Delay());
        Assert.True(await cluster.StandbySessionsAsync(api) > 0, "the read pool has no session on the standby");
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(50);
        return true;
    }
}
