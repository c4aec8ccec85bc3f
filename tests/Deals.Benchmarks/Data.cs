using System.Diagnostics;
using Npgsql;

namespace Deals.Benchmarks;

/// <summary>Fills the database with synthetic deals for the benchmark.</summary>
public static class Data
{
    public static async Task GenerateAsync(string connectionString, int deals)
    {
        // Placeholder set-based generator: companies, products and deals with skewed buyers.
        var companies = Math.Max(1000, deals / 5);
        var sql = $"""
            INSERT INTO companies (slug, name, country)
            SELECT 'company-' || g, 'Company ' || g, (ARRAY['US','DE','FR','GB','IL','JP','IN','CN'])[1 + g % 8]
            FROM generate_series(1, {companies}) g;
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, status, price_amount, price_currency)
            SELECT b, CASE WHEN t = b THEN t % {companies} + 1 ELSE t END,
                   date '1990-01-01' + (g % 12000), 'day', 'completed',
                   CASE WHEN g % 10 < 3 THEN (g % 1000 + 1) * 1000000 END, CASE WHEN g % 10 < 3 THEN 'USD' END
            FROM (SELECT g, 1 + floor(power(random(), 3) * {companies})::bigint AS b, 1 + floor(random() * {companies})::bigint AS t
                  FROM generate_series(1, {deals}) g) s
            ON CONFLICT DO NOTHING;
            ANALYZE;
            """;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
        Debug.Assert(deals > 0);
    }
}
