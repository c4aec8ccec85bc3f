using System.Diagnostics.Metrics;
using System.Net;
using Dapper;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>Four read slots whatever the processor count, so that more than one lookup could be in PostgreSQL at once.</summary>
public sealed class LookupBatchFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Database:ReadSlots=4"];
}

public sealed class NoLookupBatchesFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Database:ReadSlots=4", "--Database:LookupFlights=0"];
}

/// <summary>
/// A deal, company or product by key, or a chain of control: the lookups that arrive while one of the same kind is in PostgreSQL wait in the
/// API and then go as one statement (<see cref="LookupBatches"/>), and each request still gets its own answer.
/// </summary>
public sealed class LookupBatchTests(LookupBatchFixture api) : IClassFixture<LookupBatchFixture>
{
    [Theory]
    // Later keys in an order no statement returns rows in (the missing one first, then descending), one asked twice
    // and one the same as the first's: each must get its own row whatever order the rows come in.
    [InlineData("companies", "/v1/acquisitions/1", new[] { "/v1/acquisitions/999999", "/v1/acquisitions/3", "/v1/acquisitions/3", "/v1/acquisitions/2", "/v1/acquisitions/1" })]
    [InlineData("companies", "/v1/companies/red-hat", new[] { "/v1/companies/no-such-company", "/v1/companies/ibm", "/v1/companies/IBM", "/v1/companies/qumranet", "/v1/companies/red-hat" })]
    [InlineData("companies", "/v1/companies/1", new[] { "/v1/companies/999999", "/v1/companies/3", "/v1/companies/3", "/v1/companies/2", "/v1/companies/1" })]
    [InlineData("products", "/v1/products/1", new[] { "/v1/products/999999", "/v1/products/3", "/v1/products/3", "/v1/products/2", "/v1/products/1" })]
    // A chain's key is the company and the date: Qumranet today and as of 2008 are two chains of one statement.
    [InlineData("companies", "/v1/companies/red-hat/parents", new[] { "/v1/companies/no-such-company/parents", "/v1/companies/qumranet/parents?asOf=2008", "/v1/companies/qumranet/parents", "/v1/companies/QUMRANET/parents", "/v1/companies/red-hat/parents" })]
    // Qumranet (2) by id as of 2010 (Red Hat) and today (Red Hat, then IBM): three distinct keys, so the statement for
    // four repeats the last one, a chain with parents.
    [InlineData("companies", "/v1/companies/1/parents", new[] { "/v1/companies/999999/parents", "/v1/companies/2/parents?asOf=2010", "/v1/companies/2/parents", "/v1/companies/2/parents" }, 3)]
    public async Task Lookups_that_arrive_while_one_is_in_postgresql_go_there_together_and_each_gets_its_own_answer(string locked, string first, string[] later, int distinctKeys = 4)
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
        // The meter is the process's; this app's statements are those on its own database.
        var database = new NpgsqlConnectionStringBuilder(api.ConnectionString).Database;
        listener.SetMeasurementEventCallback<int>((_, keys, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "db.namespace" && Equals(tag.Value, database))
                {
                    keysPerStatement.Add(keys);
                }
            }
        });
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

        // The first statement and one for all the rest (asked once each, though the same key came twice).
        var (lookups, statements) = batches.Counts;
        Assert.Equal(later.Length + 1, lookups - lookupsBefore);
        Assert.Equal(2, statements - statementsBefore);
        Assert.Equal([1, distinctKeys], keysPerStatement.Order()); // the operators' metric: one key, then the distinct keys
        Assert.Contains(later, path => expected[path].StartsWith("404 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Many_concurrent_lookups_of_deals_companies_products_and_chains_each_get_the_answer_they_get_alone()
    {
        var deals = await api.QueryAsync<long>("SELECT id FROM acquisitions ORDER BY id");
        var slugs = await api.QueryAsync<string>("SELECT slug FROM companies ORDER BY id");
        var products = await api.QueryAsync<long>("SELECT id FROM products ORDER BY id");
        var companies = await api.QueryAsync<long>("SELECT id FROM companies ORDER BY id");
        string[] paths =
        [
            .. deals.Select(id => $"/v1/acquisitions/{id}"),
            .. slugs.Select(slug => $"/v1/companies/{slug}"),
            .. products.Select(id => $"/v1/products/{id}"),
            // Chains of control, by slug and by id, today and as of other dates (a chain's key is both).
            .. slugs.Select(slug => $"/v1/companies/{slug}/parents"),
            .. slugs.Select((slug, i) => $"/v1/companies/{slug}/parents?asOf={2000 + i % 25}"),
            .. companies.Select(id => $"/v1/companies/{id}/parents"),
            .. companies.Select((id, i) => $"/v1/companies/{id}/parents?asOf={2005 + i % 20}-0{1 + i % 9}"),
            "/v1/acquisitions/999999", "/v1/companies/no-such-company", "/v1/products/999999",
            "/v1/companies/no-such-company/parents", "/v1/companies/999999/parents?asOf=2010",
        ];
        var expected = new Dictionary<string, string>();
        foreach (var path in paths)
        {
            expected[path] = await AnswerAsync(path);
        }

        var random = new Random(7);
        var asked = Enumerable.Range(0, 600).Select(_ => paths[random.Next(paths.Length)]).ToList();
        var batches = api.Services.GetRequiredService<DataSources>().LookupBatches!;
        var (lookupsBefore, statementsBefore) = batches.Counts;
        var answers = await Task.WhenAll(asked.Select(AnswerAsync));

        Assert.All(asked.Zip(answers), pair => Assert.Equal(expected[pair.First], pair.Second));
        var (lookups, statements) = batches.Counts;
        Assert.Equal(600, lookups - lookupsBefore);
        Assert.True(statements - statementsBefore < 600, $"{statements - statementsBefore} statements for 600 lookups at once");
        Assert.Empty(api.Errors.Logged);
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
        for (var i = 0; i < 800; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail("The condition never held.");
    }

    /// <summary>
    /// Lookup statements (keys as <c>ANY (ARRAY[$1, ...])</c>, or chains' keys as <c>VALUES ($1::bigint, $2::date), ...</c>)
    /// that PostgreSQL is running, or that wait there for a lock.
    /// </summary>
    private async Task<long> RunningLookupsAsync() =>
        (await api.QueryAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' " +
            "AND (query LIKE '%= ANY (ARRAY[$1%' OR query LIKE '%(VALUES ($1::%') AND pid <> pg_backend_pid()")).Single();

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

/// <summary>
/// The batching itself, with statements the test answers when it chooses: the orderings HTTP and a real server cannot
/// hold still (a blocked statement takes its snapshot only once the lock is gone, so it would see the write anyway).
/// </summary>
public sealed class LookupBatchOrderTests : IAsyncDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create("Host=127.0.0.1;Database=unused"); // never opened
    private readonly LookupBatches _batches = new(flights: 1);
    private readonly List<(long[] Keys, TaskCompletionSource<List<Row>> Rows)> _statements = [];
    private readonly KeyLookup<long, Row> _lookup;

    public LookupBatchOrderTests() =>
        _lookup = new KeyLookup<long, Row>("test", "SELECT id, version FROM rows WHERE id = ANY (@Keys)", (_, statement) =>
        {
            var parameters = (DynamicParameters)statement.Parameters!;
            var statementRows = new TaskCompletionSource<List<Row>>();
            _statements.Add(([.. parameters.ParameterNames.Select(parameters.Get<long>).Distinct()], statementRows));
            return statementRows.Task;
        }, row => row.Id);

    [Fact]
    public async Task A_lookup_made_while_a_statement_for_its_key_is_out_waits_for_the_next_statement()
    {
        var first = FindAsync(7);
        Assert.Single(_statements);

        // A write commits while the first statement is out, and then the key is asked for again.
        var second = FindAsync(7);
        Assert.Single(_statements);
        Assert.Equal(1, _batches.Waiting);

        _statements[0].Rows.SetResult([new Row(7, "before the write")]);
        Assert.Equal("before the write", (await first)!.Version);
        Assert.Equal(2, _statements.Count);
        Assert.Equal([7L], _statements[1].Keys);
        _statements[1].Rows.SetResult([new Row(7, "after the write")]);
        Assert.Equal("after the write", (await second)!.Version);
    }

    [Fact]
    public async Task Lookups_that_wait_go_as_one_statement_and_each_takes_its_own_row()
    {
        var first = FindAsync(1);
        var waiting = new long[] { 9, 4, 4, 2, 1 }.Select(id => (id, FindAsync(id))).ToList();
        _statements[0].Rows.SetResult([new Row(1, "v1")]);
        await first;

        Assert.Equal(2, _statements.Count);
        Assert.Equal([9L, 4, 2, 1], _statements[1].Keys);
        _statements[1].Rows.SetResult([new Row(1, "v1"), new Row(2, "v2"), new Row(4, "v4")]); // no row 9
        foreach (var (id, found) in waiting)
        {
            Assert.Equal(id == 9 ? null : $"v{id}", (await found)?.Version);
        }
    }

    [Fact]
    public async Task A_failed_statement_fails_its_lookups_only_and_the_next_lookup_is_sent()
    {
        var first = FindAsync(1);
        var second = FindAsync(2);
        _statements[0].Rows.SetException(new InvalidOperationException("the server went away"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        Assert.Equal(2, _statements.Count); // the one that waited is sent on its own statement
        _statements[1].Rows.SetResult([new Row(2, "v2")]);
        Assert.Equal("v2", (await second)!.Version);

        var third = FindAsync(3);
        Assert.Equal(3, _statements.Count); // nothing out: sent at once
        _statements[2].Rows.SetResult([new Row(3, "v3")]);
        Assert.Equal("v3", (await third)!.Version);
    }

    [Fact]
    public async Task A_lookup_whose_request_gives_up_leaves_the_queue()
    {
        var first = FindAsync(1);
        using var giveUp = new CancellationTokenSource();
        var impatient = FindAsync(2, giveUp.Token);
        Assert.Equal(1, _batches.Waiting);

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => impatient);
        Assert.Equal(0, _batches.Waiting);

        _statements[0].Rows.SetResult([new Row(1, "v1")]);
        await first;
        Assert.Single(_statements); // no statement for the lookup given up

        var next = FindAsync(3);
        Assert.Equal(2, _statements.Count);
        _statements[1].Rows.SetResult([new Row(3, "v3")]);
        Assert.Equal("v3", (await next)!.Version);
    }

    public async ValueTask DisposeAsync() => await _source.DisposeAsync();

    private Task<Row?> FindAsync(long id, CancellationToken cancellationToken = default) =>
        _batches.FindAsync(_lookup, id, _source, work => work(null!), cancellationToken);

    public sealed record Row(long Id, string Version);
}
