using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Stats;
using Npgsql;

namespace Deals.Benchmarks;

/// <summary>
/// One measured operation: the HTTP request wrk sends (a fixed path, or a Lua script choosing each
/// request) and the same SQL the endpoint runs, as pgbench scripts over the same inputs.
/// </summary>
/// <remarks>
/// The pgbench side sends the endpoint's parameters as parameters (pgbench variables), so PostgreSQL plans and
/// caches the statement as it does for the API; where the API plans a query for its values every time
/// (<see cref="Deals.Api.Common.Db.QueryPlannedAsync{T}"/>), so does pgbench (<see cref="Db.CustomPlanOption"/>).
/// </remarks>
public sealed record Scenario(string Name, string Path, string? Lua, IReadOnlyList<string> PgBenchScripts, IReadOnlyList<int> ClientSweep,
    IReadOnlyDictionary<string, string>? Variables = null, string? SessionOptions = null);

public static class Scenarios
{
    private const int Sample = 100; // pgbench takes at most 128 scripts

    public static async Task<List<Scenario>> CreateAsync(string connectionString, bool quick)
    {
        await using var db = new NpgsqlConnection(connectionString);
        var reference = new ReferenceData();
        await using (var source = NpgsqlDataSource.Create(connectionString))
        {
            await reference.LoadAsync(source, CancellationToken.None);
        }

        var maxDeal = await db.ExecuteScalarAsync<long>("SELECT max(id) FROM acquisitions");
        var slugs = (await db.QueryAsync<string>($"SELECT slug FROM companies ORDER BY random() LIMIT {Sample}")).ToList();
        var buyers = (await db.QueryAsync<long>($"SELECT buyer_id FROM acquisitions GROUP BY 1 ORDER BY count(*) DESC LIMIT {Sample}")).ToList();
        var targets = (await db.QueryAsync<long>($"SELECT target_id FROM acquisitions WHERE status = 'completed' ORDER BY random() LIMIT {Sample}")).ToList();
        var names = (await db.QueryAsync<string>($"SELECT lower(name) FROM companies ORDER BY random() LIMIT {Sample}")).Select(Typo).ToList();
        // Single reads: pgbench on a deal by id was best at 8 clients on 2 cores (8,120 tx/s against 7,054 at 16 and
        // 4,491 at 32), since the API also runs its reads a few at a time (Database:ReadSlots).
        int[] single = quick ? [8] : [8, 16];
        int[] sweep = quick ? [8, 32] : [4, 8]; // 16 and 32 never won a full run on 2 cores (so the full run fits in 15 minutes)

        // List by buyer, newest first: the SQL the endpoint builds for ?buyer=ID&sort=-announcedOn&limit=50.
        var byBuyer = AcquisitionQuery.From(new AcquisitionFilters(), 0, null, reference).OrderBy("-announcedOn");
        var filters = new AcquisitionFilters { AnnouncedFrom = "2000", AnnouncedTo = "2005", MinPrice = 1_000_000m, MaxPrice = 100_000_000m, Currency = "USD" };
        var filtered = AcquisitionQuery.From(filters, null, null, reference);
        var deep = AcquisitionQuery.From(new AcquisitionFilters(), null, null, reference).OrderBy("-announcedOn");
        var deepKeys = await db.QuerySingleAsync<string[]>("SELECT ARRAY[to_char(announced_on, 'YYYY-MM-DD'), id::text] FROM acquisitions ORDER BY announced_on DESC, id DESC OFFSET 49999 LIMIT 1");
        var deepCursor = AcquisitionQuery.EncodeCursor(deep.SortText, deepKeys);
        deep.After(deepCursor);
        var years = AcquisitionQuery.From(new AcquisitionFilters { Currency = "USD" }, null, null, reference);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        return
        [
            new("acquisition-by-id", "/", RandomIdLua("/v1/acquisitions/", maxDeal),
                [$"\\set id random(1, {maxDeal})\n" + PgBench(KeyLookup.Sized(AcquisitionStore.ByIdsSql, 1), ("K0", ":id::bigint"))], single),
            new("company-by-slug", "/", ChoiceLua([.. slugs.Select(s => "/v1/companies/" + s)]),
                [.. slugs.Select(s => PgBench(KeyLookup.Sized(CompanyStore.BySlugsSql, 1), ("K0", Literal(s))))], single),
            new("list-by-buyer", "/", ChoiceLua([.. buyers.Select(b => $"/v1/acquisitions?buyer={b}&sort=-announcedOn&limit=50")]),
                [Choose("buyer", buyers) + PgBench(AcquisitionStore.ListSql(byBuyer, 51), ("BuyerId", ":buyer"))], sweep),
            new("list-filtered", "/v1/acquisitions?announcedFrom=2000&announcedTo=2005&minPrice=1000000&maxPrice=100000000&currency=USD&limit=50", null,
                [PgBench(AcquisitionStore.ListSql(filtered, 51), ("AnnouncedFrom", ":from"), ("AnnouncedTo", ":to"), ("MinPrice", ":min"),
                    ("MaxPrice", ":max"), ("Currency", ":currency"))], sweep,
                new Dictionary<string, string> { ["from"] = "2000-01-01", ["to"] = "2005-12-31", ["min"] = "1000000", ["max"] = "100000000", ["currency"] = "USD" },
                Db.PagePlanOptions),
            new("deep-page", $"/v1/acquisitions?sort=-announcedOn&limit=50&cursor={deepCursor}", null,
                [PgBench(AcquisitionStore.ListSql(deep, 51), ("K0", ":k0::date"), ("K1", ":k1"))], sweep,
                new Dictionary<string, string> { ["k0"] = deepKeys[0], ["k1"] = deepKeys[1] }),
            new("company-search", "/", ChoiceLua([.. names.Select(n => "/v1/companies?q=" + Uri.EscapeDataString(n))]),
                [.. names.Select(n => Search.Parameters(n, null, (float.MaxValue, 0), 51)).Select(p => PgBench(CompanyStore.SearchSql,
                    ("Q", Literal(p.Q)), ("Like", Literal(p.Like)), ("Fuzzy", p.Fuzzy ? "true" : "false"), ("Country", "NULL"),
                    ("AfterScore", "'Infinity'::real"), ("After", "0"), ("Take", "51")))], sweep),
            new("parents-chain", "/", ChoiceLua([.. targets.Select(t => $"/v1/companies/{t}/parents")]),
                [Choose("id", targets) + PgBench(ControlStore.ParentsByIdSql(1), ("K0", ":id"), ("D0", ":asof"))], sweep,
                new Dictionary<string, string> { ["asof"] = today }),
            new("stats-years", "/v1/stats/years?currency=USD", null,
                [PgBench(StatsStore.YearsSql(years), ("Currency", ":currency"))], sweep,
                new Dictionary<string, string> { ["currency"] = "USD" }, Db.CustomPlanOption + " -c work_mem=64MB"),
        ];
    }

    /// <summary>The store's SQL with its Dapper parameters replaced by pgbench variables or literals.</summary>
    internal static string PgBench(string sql, params (string Name, string Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            sql = Regex.Replace(sql, $@"@{name}\b", value.Replace("$", "$$", StringComparison.Ordinal));
        }

        // pgbench reads one statement per line; flatten it.
        return Regex.Replace(sql, @"\s+", " ").Trim() + ";\n";
    }

    /// <summary>
    /// pgbench lines setting <paramref name="variable"/> to one of <paramref name="values"/> at random, in one script: like the
    /// API, each session then prepares the statement once and runs it for every value. (A script per value is a statement per
    /// value, run a few times each per session, so PostgreSQL planned nearly every execution: 530 against 900 tx/s for the
    /// list by buyer on 1M deals.)
    /// </summary>
    internal static string Choose(string variable, IReadOnlyList<long> values)
    {
        var lines = new StringBuilder().Append(CultureInfo.InvariantCulture, $"\\set pick random(0, {values.Count - 1})\n\\set {variable} CASE");
        for (var i = 0; i < values.Count; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $" WHEN :pick = {i} THEN {values[i]}");
        }

        return lines.Append(" END\n").ToString();
    }

    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>A name as a person might mistype it: the last letter doubled.</summary>
    private static string Typo(string name) => name.Length > 3 ? name + name[^1] : name;

    private static string RandomIdLua(string prefix, long max) =>
        $"request = function() return wrk.format(\"GET\", \"{prefix}\" .. math.random(1, {max.ToString(CultureInfo.InvariantCulture)})) end\n";

    private static string ChoiceLua(IReadOnlyList<string> paths)
    {
        var lua = new StringBuilder("local paths = {");
        lua.AppendJoin(", ", paths.Select(p => $"\"{p}\""));
        lua.Append("}\nrequest = function() return wrk.format(\"GET\", paths[math.random(1, #paths)]) end\n");
        return lua.ToString();
    }
}
