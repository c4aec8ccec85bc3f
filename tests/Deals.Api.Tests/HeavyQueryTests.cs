using System.Net;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Deals.Api.Tests;

public sealed class OneHeavySlotFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Database:HeavyQuerySlots=1", "--Database:ReadSlots=1"];
}

/// <summary>
/// Queries that cost the database real CPU (search, stats, filtered lists) run a few at a time
/// (<c>Database:HeavyQuerySlots</c>); the others wait in the API, not in PostgreSQL, and are then answered.
/// </summary>
public sealed class HeavyQueryTests(OneHeavySlotFixture api) : IClassFixture<OneHeavySlotFixture>
{
    private const string Search = "similarity(lower(c.name)";
    private const string DealRead = "FROM acquisition_products ap JOIN products p";

    [Fact]
    public async Task Heavy_queries_beyond_the_slots_wait_in_the_api_and_are_then_answered()
    {
        // Hold a lock the search needs, so that the first search stays in PostgreSQL, holding the only slot.
        await using var blocker = await LockAsync("company_aliases");

        var searches = new[] { "red hat", "qumranet", "jboss" }.Select(q => api.Client.GetAsync($"/v1/companies?q={q}")).ToList();
        var waiting = 0L;
        for (var i = 0; i < 100 && waiting == 0; i++)
        {
            await Task.Delay(50);
            waiting = await RunningSearchesAsync();
        }

        Assert.Equal(1, waiting);
        await Task.Delay(500);
        Assert.Equal(1, await RunningSearchesAsync());
        Assert.All(searches, s => Assert.False(s.IsCompleted));

        await blocker.ReleaseAsync();
        foreach (var response in await Task.WhenAll(searches))
        {
            var page = await response.ShouldBe(HttpStatusCode.OK);
            Assert.NotEmpty(page["items"]!.AsArray());
        }
    }

    [Fact]
    public async Task Reads_beyond_the_read_slots_wait_in_the_api_and_are_then_answered()
    {
        // The sample deals 1-3; every deal read joins companies: with them locked, the first read stays in PostgreSQL, holding the only read slot.
        await using var blocker = await LockAsync("companies");

        var reads = new long[] { 1, 2, 3 }.Select(id => api.Client.GetAsync($"/v1/acquisitions/{id}")).ToList();
        var waiting = 0L;
        for (var i = 0; i < 100 && waiting == 0; i++)
        {
            await Task.Delay(50);
            waiting = await RunningAsync(DealRead);
        }

        Assert.Equal(1, waiting);
        await Task.Delay(500);
        Assert.Equal(1, await RunningAsync(DealRead));
        Assert.All(reads, r => Assert.False(r.IsCompleted));

        await blocker.ReleaseAsync();
        var ids = new List<long>();
        foreach (var response in await Task.WhenAll(reads))
        {
            ids.Add((long)(await response.ShouldBe(HttpStatusCode.OK))["id"]!);
        }

        Assert.Equal([1, 2, 3], ids);
    }

    [Theory]
    [InlineData("company_aliases", "/v1/companies?q=red hat", "/v1/companies?q=jboss", "/v1/companies?q=qumranet")] // heavy slot
    [InlineData("companies", "/v1/acquisitions/1", "/v1/acquisitions/2", "/v1/acquisitions/3")] // read slot
    public async Task A_client_that_gives_up_while_waiting_for_a_slot_does_not_keep_it(string locked, string first, string impatient, string next)
    {
        await using var blocker = await LockAsync(locked);

        var holding = api.Client.GetAsync(first);
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.Client.GetAsync(impatient, giveUp.Token));
        }

        await blocker.ReleaseAsync();
        await holding.ShouldBe(HttpStatusCode.OK);

        // The slot is free again: the next request is answered at once.
        await api.Client.GetAsync(next).WaitAsync(TimeSpan.FromSeconds(10)).ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_heavy_query_holds_no_read_slot_so_lookups_go_on_while_searches_wait()
    {
        await using var blocker = await LockAsync("company_aliases");
        var search = api.Client.GetAsync("/v1/companies?q=red hat");
        for (var i = 0; i < 100 && await RunningAsync(Search) == 0; i++)
        {
            await Task.Delay(50);
        }

        // The search holds the only heavy slot and waits in PostgreSQL; the only read slot is free.
        var deal = await api.Client.GetAsync("/v1/acquisitions/1").WaitAsync(TimeSpan.FromSeconds(10)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(1, (long)deal["id"]!);
        Assert.False(search.IsCompleted);

        await blocker.ReleaseAsync();
        await search.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public void Reads_share_the_primary_pool_without_multiplexing_unless_the_connection_string_asks_for_it()
    {
        var sources = api.Services.GetRequiredService<DataSources>();
        Assert.Same(sources.Primary, sources.PrimaryReads);
        Assert.False(new NpgsqlConnectionStringBuilder(sources.Primary.ConnectionString).Multiplexing);
        Assert.Equal(1, sources.HeavySlots.CurrentCount);
        Assert.Equal(1, sources.ReadSlots?.CurrentCount);

        // Outside a writing request (here: no request at all), queries go to the read pool.
        using var scope = api.Services.CreateScope();
        Assert.Same(sources.PrimaryReads, scope.ServiceProvider.GetRequiredService<Db>().Source);
    }

    private Task<TableLock> LockAsync(string table) => TableLock.TakeAsync(api.ConnectionString, table);

    private Task<long> RunningSearchesAsync() => RunningAsync(Search);

    /// <summary>Statements containing <paramref name="text"/> that PostgreSQL is running (or that wait there for a lock).</summary>
    private async Task<long> RunningAsync(string text) =>
        (await api.QueryAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%' || @Text || '%' AND pid <> pg_backend_pid()",
            new { Text = text })).Single();
}
