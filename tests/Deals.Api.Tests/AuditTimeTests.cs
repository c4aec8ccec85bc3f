using System.Net;
using Deals.Api.Audit;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>
/// An audit log with a long history: 40,000 entries a minute apart from 2020-01-01, then three entries of a long
/// transaction, written last (the highest ids) but dated 2020-01-01 00:30:30, when it began.
/// </summary>
public sealed class AuditHistoryFixture : ApiFixture
{
    public const int History = 40_000;

    public static readonly DateTimeOffset Start = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await ExecuteAsync($"""
            INSERT INTO audit_log (at, entity, entity_id, table_name, action, after)
            SELECT @Start + g * interval '1 minute', 'company', 1000000 + g % 100, 'companies', 'insert', jsonb_build_object('n', g)
            FROM generate_series(1, {History}) g;
            INSERT INTO audit_log (at, entity, entity_id, table_name, action, before, after)
            SELECT @Start + interval '30 minutes 30 seconds', 'company', 1000001, 'companies', 'update', jsonb_build_object(), jsonb_build_object('late', g)
            FROM generate_series(1, 3) g;
            ANALYZE audit_log;
            """, new { Start });
    }
}

public sealed class AuditTimeTests(AuditHistoryFixture api) : IClassFixture<AuditHistoryFixture>
{
    private static string Time(DateTimeOffset at) => Uri.EscapeDataString(at.ToString("O"));

    private static readonly DateTimeOffset Start = AuditHistoryFixture.Start;

    public static TheoryData<string, string> Filters => new()
    {
        // `to` long past: nearly all of the log is later.
        { $"to={Time(Start.AddHours(1))}", "at < @To" },
        { $"to={Time(Start.AddMinutes(AuditHistoryFixture.History / 20))}", "at < @To" },
        // `to` near the end: the walk from the newest entry is short.
        { $"to={Time(Start.AddMinutes(AuditHistoryFixture.History - 40))}", "at < @To" },
        { $"from={Time(Start.AddMinutes(10))}&to={Time(Start.AddMinutes(40))}", "at >= @From AND at < @To" },
        { $"entity=company&id=1000001&to={Time(Start.AddDays(1))}", "entity = 'company' AND entity_id = 1000001 AND at < @To" },
        { $"from={Time(Start.AddMinutes(AuditHistoryFixture.History - 30))}", "at >= @From" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Time_filters_page_through_exactly_the_entries_they_match_newest_id_first(string query, string where)
    {
        var expected = await api.QueryAsync<long>($"SELECT id FROM audit_log WHERE {where} ORDER BY id DESC", new
        {
            To = Parse(query, "to"), From = Parse(query, "from"),
        });
        Assert.NotEmpty(expected);

        var ids = new List<long>();
        var next = $"/v1/audit?{query}&limit=25";
        while (true)
        {
            var page = await api.Client.GetAsync(next).ShouldBe(HttpStatusCode.OK);
            ids.AddRange(page["items"]!.AsArray().Select(e => (long)e!["id"]!));
            if ((string?)page["nextCursor"] is not { } cursor)
            {
                break;
            }

            next = $"/v1/audit?{query}&limit=25&cursor={cursor}";
        }

        Assert.Equal(expected, ids);
    }

    [Fact]
    public async Task Entries_of_a_long_transaction_come_first_though_dated_earlier()
    {
        var page = await api.Client.GetAsync($"/v1/audit?to={Time(Start.AddHours(1))}&limit=5").ShouldBe(HttpStatusCode.OK);
        var items = page["items"]!.AsArray().Select(e => e!.AsObject()).ToList();

        Assert.Equal([3, 2, 1], items.Take(3).Select(e => (int)e["after"]!["late"]!));
        Assert.Equal([59, 58], items.Skip(3).Select(e => (int)e["after"]!["n"]!));
        Assert.All(items, e => Assert.True(DateTimeOffset.Parse((string)e["at"]!) < Start.AddHours(1)));
    }

    [Fact]
    public async Task A_page_before_a_time_long_past_reads_the_time_index_not_every_later_entry()
    {
        // A twentieth of the log is before `to`: PostgreSQL expects the walk to find 51 of them within about 1,000 entries.
        var parameters = AuditStore.ListParameters(new AuditQuery(null, null, null, null, Start.AddMinutes(AuditHistoryFixture.History / 20)), long.MaxValue, 51);
        var plan = await Plans.ExplainAsync(api.ConnectionString, AuditStore.ListSql, parameters, analyze: true, Db.CustomPlanSql);

        // Walking down from the newest entry would read the 38,000 later ones (it did, before); counting them stops at the
        // walk limit (on a table this small, by a sequential scan that passes the 2,000 entries before `to` as well), and
        // the page comes from those 2,000.
        var read = Plans.Nodes(plan)
            .Where(n => ((string?)n["Node Type"])?.EndsWith("Scan", StringComparison.Ordinal) == true && n["Relation Name"] is not null)
            .Sum(n => ((double)n["Actual Rows"]! + ((double?)n["Rows Removed by Filter"] ?? 0)) * (double)n["Actual Loops"]!);
        Assert.InRange(read, 51, AuditStore.WalkLimit + (2 * AuditHistoryFixture.History / 20) + 1_000);
    }

    private static DateTimeOffset? Parse(string query, string name) =>
        query.Split('&').Select(p => p.Split('=')).Where(p => p[0] == name).Select(p => (DateTimeOffset?)DateTimeOffset.Parse(Uri.UnescapeDataString(p[1]))).FirstOrDefault();
}
