using System.Text.Json.Nodes;
using Dapper;
using Npgsql;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>Statements run as the API runs them (under its plan settings, in one transaction), and the plans PostgreSQL makes of them.</summary>
public static class Plans
{
    /// <summary>Rows of <paramref name="sql"/>, under <paramref name="settings"/> (for its transaction) when given.</summary>
    public static async Task<List<T>> QueryAsync<T>(string connectionString, string sql, object? args = null, string? settings = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (settings is not null)
        {
            await connection.ExecuteAsync(settings, transaction: transaction);
        }

        return [.. await connection.QueryAsync<T>(sql, args, transaction)];
    }

    /// <summary>The plan of <paramref name="sql"/>; analyzed, with what each node read.</summary>
    public static async Task<JsonNode> ExplainAsync(string connectionString, string sql, object? args, bool analyze = false, string? settings = null)
    {
        var json = (await QueryAsync<string>(connectionString, $"EXPLAIN ({(analyze ? "ANALYZE, BUFFERS, " : "")}FORMAT JSON) {sql}", args, settings)).Single();
        return JsonNode.Parse(json)![0]!["Plan"]!;
    }

    /// <summary>The plan node and every node under it.</summary>
    public static IEnumerable<JsonNode> Nodes(JsonNode plan) =>
        (plan["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!)).Prepend(plan);
}
