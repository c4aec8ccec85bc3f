using System.Diagnostics.Metrics;
using System.Net;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Deals.Api.Tests;

public sealed class NoLookupBatchesFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Database:LookupFlights=0"];
}

/// <summary>
/// A deal, company or product by key: the lookups that arrive while one of the same kind is in PostgreSQL wait in the
/// API and then go as one statement (<see cref="LookupBatches"/>), and each request still gets its own answer.
/// </summary>
public sealed class LookupBatchTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Theory]
    [InlineData("companies", "/v1/acquisitions/1", new[] { "/v1/acquisitions/2", "/v1/acquisitions/3", "/v1/acquisitions/3", "/v1/acquisitions/999999" })]
    [InlineData("companies", "/v1/companies/red-hat", new[] { "/v1/companies/qumranet", "/v1/companies/IBM", "/v1/companies/ibm", "/v1/companies/no-such-company" })]
    [InlineData("companies", "/v1/companies/1", new[] { "/v1/companies/2", "/v1/companies/3", "/v1/companies/3", "/v1/companies/999999" })]
    [InlineData("products", "/v1/products/1", new[] { "/v1/products/2", "/v1/products/3", "/v1/products/3", "/v1/products/999999" })]
    public async Task Lookups_that_arrive_while_one_is_in_postgresql_go_there_together_and_each_gets_its_own_answer(string locked, string first, string[] later)
    {
        var expected = new Dictionary<string, string>();
        foreach (var path in later.Prepend(first).Distinct())
        {
            expected[path] = await AnswerAsync(path);
        }

        var batches = api.Services.GetRequiredService<DataSources>().LookupBatches!;
        var (lookupsBefore, statementsBefore) = batches.Counts;
        var keysPerStatement = new System.Collections.Concurrent.ConcurrentBag<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LookupBatches.MeterName && instrument.Name == "deals.lookup.keys")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, keys, _, _) => keysPerStatement.Add(keys));
        listener.Start();
        await using (var blocker = await LockAsync(locked))
        {
            var out1 = api.Client.GetAsync(first);
            await UntilAsync(async () => await RunningLookupsAsync() == 1);
            var waiting = later.Select(path => (path, api.Client.GetAsync(path))).ToList();
            await UntilAsync(() => Task.FromResult(batches.Waiting == later.Length));

            // Four read slots, but one statement of a kind out at a time: the rest wait in the API.
            await Task.Delay(200);
            Assert.Equal(1, await RunningLookupsAsync());
            Assert.Equal(later.Length, batches.Waiting);

            await blocker.ReleaseAsync();
            foreach (var (path, response) in waiting.Prepend((first, out1)))
            {
                Assert.Equal(expected[path], await AnswerAsync(await response));
            }
        }

        // The first statement and one for all the rest (asked once each, though the same deal or company came twice).
        var (lookups, statements) = batches.Counts;
        Assert.Equal(later.Length + 1, lookups - lookupsBefore);
        Assert.Equal(2, statements - statementsBefore);
        Assert.Contains(3, keysPerStatement); // the operators' metric: three distinct keys in the second statement
        Assert.Contains(later, path => expected[path].StartsWith("404 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Many_concurrent_lookups_of_deals_companies_and_products_each_get_the_answer_they_get_alone()
    {
        var deals = await api.QueryAsync<long>("SELECT id FROM acquisitions ORDER BY id");
        var slugs = await api.QueryAsync<string>("SELECT slug FROM companies ORDER BY id");
        var products = await api.QueryAsync<long>("SELECT id FROM products ORDER BY id");
        string[] paths =
        [
            .. deals.Select(id => $"/v1/acquisitions/{id}"),
            .. slugs.Select(slug => $"/v1/companies/{slug}"),
            .. products.Select(id => $"/v1/products/{id}"),
            "/v1/acquisitions/999999", "/v1/companies/no-such-company", "/v1/products/999999",
        ];
        var expected = new Dictionary<string, string>();
        foreach (var path in paths)
        {
            expected[path] = await AnswerAsync(path);
        }

        var random = new Random(7);
        var asked = Enumerable.Range(0, 600).Select(_ => paths[random.Next(paths.Length)]).ToList();
        var answers = await Task.WhenAll(asked.Select(AnswerAsync));

        Assert.All(asked.Zip(answers), pair => Assert.Equal(expected[pair.First], pair.Second));
        Assert.Contains(answers, a => a.StartsWith("200 ", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("404 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deal_changed_by_a_request_is_read_back_changed_at_once()
    {
        var deal = (await api.QueryAsync<long>("SELECT min(id) FROM acquisitions")).Single();
        for (var i = 0; i < 20; i++)
        {
            var reads = Enumerable.Range(0, 8).Select(_ => api.Client.GetAsync($"/v1/acquisitions/{deal}")).ToList();
            await api.Client.PatchJsonAsync($"/v1/acquisitions/{deal}", $$"""{"notes": "Revision {{i}}"}""").ShouldBe(HttpStatusCode.OK);
            var after = await api.Client.GetAsync($"/v1/acquisitions/{deal}").ShouldBe(HttpStatusCode.OK);
            Assert.Equal($"Revision {i}", (string?)after["notes"]);
            await Task.WhenAll(reads);
        }
    }

    private async Task<string> AnswerAsync(string path) => await AnswerAsync(await api.Client.GetAsync(path));

    /// <summary>The status and body, without the trace id a problem carries (each request's own).</summary>
    private static async Task<string> AnswerAsync(HttpResponseMessage response)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        body.Remove("traceId");
        return $"{(int)response.StatusCode} {body.ToJsonString()}";
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail("The condition never held.");
    }

    /// <summary>Lookup statements (keys as <c>ANY (ARRAY[$1, ...])</c>) that PostgreSQL is running, or that wait there for a lock.</summary>
    private async Task<long> RunningLookupsAsync() =>
        (await api.QueryAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%= ANY (ARRAY[$1%' AND pid <> pg_backend_pid()")).Single();

    private Task<TableLock> LockAsync(string table) => TableLock.TakeAsync(api.ConnectionString, table);
}

/// <summary>With <c>Database:LookupFlights=0</c> every lookup is a statement of its own, as before batching.</summary>
public sealed class NoLookupBatchTests(NoLookupBatchesFixture api) : IClassFixture<NoLookupBatchesFixture>
{
    [Fact]
    public async Task Each_lookup_goes_to_postgresql_alone()
    {
        Assert.Null(api.Services.GetRequiredService<DataSources>().LookupBatches);
        await using var blocker = await TableLock.TakeAsync(api.ConnectionString, "companies");

        var reads = new long[] { 1, 2, 3 }.Select(id => (id, api.Client.GetAsync($"/v1/acquisitions/{id}"))).ToList();
        var running = 0L;
        for (var i = 0; i < 200 && running < 3; i++)
        {
            await Task.Delay(25);
            running = (await api.QueryAsync<long>(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%FROM acquisitions a%' AND pid <> pg_backend_pid()")).Single();
        }

        Assert.Equal(3, running);
        await blocker.ReleaseAsync();
        foreach (var (id, read) in reads)
        {
            Assert.Equal(id, (long)(await read.ShouldBe(HttpStatusCode.OK))["id"]!);
        }
    }
}
