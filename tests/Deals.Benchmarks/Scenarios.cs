using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Companies;
using Npgsql;

namespace Deals.Benchmarks;

/// <summary>
/// One measured operation: the HTTP request wrk sends (a fixed path, or a Lua script choosing each
/// request) and the same SQL the endpoint runs, as pgbench scripts over the same inputs.
/// </summary>
public sealed record Scenario(string Name, string Path, string? Lua, IReadOnlyList<string> PgBenchScripts, IReadOnlyList<int> ClientSweep);

public static class Scenarios
{
    private const int Sample = 100; // pgbench takes at most 128 scripts

    public static async Task<List<Scenario>> CreateAsync(string connectionString, bool quick)
    {
        await using var db = new NpgsqlConnection(connectionString);
        var maxDeal = await db.ExecuteScalarAsync<long>("SELECT max(id) FROM acquisitions");
        var slugs = (await db.QueryAsync<string>($"SELECT slug FROM companies ORDER BY random() LIMIT {Sample}")).ToList();
        int[] single = quick ? [32] : [16, 32];
        int[] sweep = quick ? [8, 32] : [4, 8, 16, 32];

        return
        [
            new("acquisition-by-id", "/", RandomIdLua("/v1/acquisitions/", maxDeal),
                [$"\\set id random(1, {maxDeal})\n" + PgBench(AcquisitionStore.ByIdSql, ("Id", ":id"))], single),
            new("company-by-slug", "/", ChoiceLua("/v1/companies/", slugs),
                [.. slugs.Select(s => PgBench(CompanyStore.BySlugSql, ("Slug", Literal(s))))], single),
        ];
    }

    /// <summary>The store's SQL with its Dapper parameters replaced by pgbench variables or literals.</summary>
    internal static string PgBench(string sql, params (string Name, string Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            sql = Regex.Replace(sql, $@"@{name}\b", value.Replace("$", "$$", StringComparison.Ordinal));
        }

        // pgbench reads one statement per script; flatten it onto one line.
        return Regex.Replace(sql, @"\s+", " ").Trim() + ";\n";
    }

    internal static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string RandomIdLua(string prefix, long max) =>
        $"request = function() return wrk.format(\"GET\", \"{prefix}\" .. math.random(1, {max.ToString(CultureInfo.InvariantCulture)})) end\n";

    private static string ChoiceLua(string prefix, IReadOnlyList<string> values)
    {
        var lua = new StringBuilder("local paths = {");
        lua.AppendJoin(", ", values.Select(v => $"\"{prefix}{v}\""));
        lua.Append("}\nrequest = function() return wrk.format(\"GET\", paths[math.random(1, #paths)]) end\n");
        return lua.ToString();
    }
}
