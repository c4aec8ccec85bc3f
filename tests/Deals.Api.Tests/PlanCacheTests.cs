using Dapper;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>
/// The API's connections as PostgreSQL sees them: JIT off, and value-dependent queries planned for their
/// values every time rather than moved to a generic plan after five executions of the prepared statement.
/// One pooled connection, so that its prepared statements can be read back from pg_prepared_statements.
/// </summary>
public sealed class PlanCacheTests : IAsyncLifetime
{
    private const string Sql = "SELECT id FROM companies WHERE name >= @From ORDER BY id LIMIT 3";
    private string _connectionString = "";
    private NpgsqlDataSource? _source;

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabase.CreateAsync();
        _source = Database.CreateDataSource(new NpgsqlConnectionStringBuilder(_connectionString) { MaxPoolSize = 1 }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _source!.DisposeAsync();
        await TestDatabase.DropAsync(_connectionString);
    }

    [Fact]
    public async Task A_value_dependent_query_gets_a_plan_for_its_values_every_time()
    {
        var db = new Db(_source!);
        for (var i = 0; i < 10; i++)
        {
            var ids = await db.QueryPlannedAsync<long>(new CommandDefinition(Sql, new { From = "A" }));
            Assert.NotEmpty(ids);
        }

        var (custom, generic) = await PlansAsync();
        Assert.Equal(0, generic);
        Assert.True(custom >= 8, $"{custom} custom plans");
    }

    [Fact]
    public async Task Other_prepared_queries_keep_the_generic_plan_postgres_chooses()
    {
        var db = new Db(_source!);
        for (var i = 0; i < 10; i++)
        {
            await db.QueryAsync<long>(new CommandDefinition(Sql, new { From = "A" }));
        }

        var (_, generic) = await PlansAsync();
        Assert.True(generic > 0, "a plain prepared statement moves to its generic plan after five executions");
    }

    [Fact]
    public async Task Connections_run_without_jit()
    {
        await using var connection = await _source!.OpenConnectionAsync();
        Assert.Equal("off", await connection.ExecuteScalarAsync<string>("SHOW jit"));
    }

    private async Task<(long Custom, long Generic)> PlansAsync()
    {
        await using var connection = await _source!.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM companies WHERE name >= $1%'");
    }
}
