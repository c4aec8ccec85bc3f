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
    private NpgsqlDataSource? _multiplexed;

    public async Task InitializeAsync()
    {
        _connectionString = await TestDatabase.CreateAsync();
        var oneConnection = new NpgsqlConnectionStringBuilder(_connectionString) { MaxPoolSize = 1 }.ConnectionString;
        _source = Database.CreateDataSource(oneConnection);
        _multiplexed = Database.CreateDataSource(new NpgsqlConnectionStringBuilder(oneConnection) { Multiplexing = true }.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _source!.DisposeAsync();
        await _multiplexed!.DisposeAsync();
        await TestDatabase.DropAsync(_connectionString);
    }

    [Fact]
    public async Task The_connection_string_has_the_last_word_on_multiplexing_and_timeouts()
    {
        var configured = new NpgsqlConnectionStringBuilder(_connectionString) { Multiplexing = false, Timeout = 7 }.ConnectionString;
        await using var reads = Database.CreateDataSource(configured);
        var settings = new NpgsqlConnectionStringBuilder(reads.ConnectionString);
        Assert.False(settings.Multiplexing);
        Assert.Equal(7, settings.Timeout);

        // Writes never share sessions, even when the string asks for it.
        await using var writes = Database.CreateDataSource(new NpgsqlConnectionStringBuilder(_connectionString) { Multiplexing = true }.ConnectionString, forWrites: true);
        Assert.False(new NpgsqlConnectionStringBuilder(writes.ConnectionString).Multiplexing);

        // Unset, an unreachable server is given up after 3 s (a 503) rather than Npgsql's 15.
        Assert.Equal(3, new NpgsqlConnectionStringBuilder(_source!.ConnectionString).Timeout);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_value_dependent_query_gets_a_plan_for_its_values_every_time(bool multiplexing)
    {
        var db = new Db(Source(multiplexing));
        for (var i = 0; i < 10; i++)
        {
            var ids = await db.QueryPlannedAsync<long>(new CommandDefinition(Sql, new { From = "A" }));
            Assert.NotEmpty(ids);
        }

        var (custom, generic) = await PlansAsync(Source(multiplexing));
        Assert.Equal(0, generic);
        Assert.True(custom >= 8, $"{custom} custom plans");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Other_prepared_queries_keep_the_generic_plan_postgres_chooses(bool multiplexing)
    {
        var db = new Db(Source(multiplexing));
        for (var i = 0; i < 10; i++)
        {
            await db.QueryAsync<long>(new CommandDefinition(Sql, new { From = "A" }));
        }

        var (_, generic) = await PlansAsync(Source(multiplexing));
        Assert.True(generic > 0, "a plain prepared statement moves to its generic plan after five executions");
    }

    [Fact]
    public async Task A_page_is_planned_without_the_joins_it_never_needs_and_the_session_keeps_them()
    {
        // One pooled session: the settings hold for the page's own statement, not for what the session runs next.
        var db = new Db(_source!);
        var during = await db.ReadPlannedAsync(new CommandDefinition(
            "SELECT current_setting('enable_hashjoin') || current_setting('enable_memoize') || current_setting('enable_mergejoin') || current_setting('plan_cache_mode')"),
            r => r.GetString(0), Db.PagePlanSql);
        Assert.Equal("offoffoffforce_custom_plan", during.Single());

        await using var connection = await _source!.OpenConnectionAsync();
        Assert.Equal("ononauto", await connection.ExecuteScalarAsync<string>(
            "SELECT current_setting('enable_hashjoin') || current_setting('enable_mergejoin') || current_setting('plan_cache_mode')"));
    }

    [Fact]
    public async Task Connections_run_without_jit()
    {
        await using var connection = await _source!.OpenConnectionAsync();
        Assert.Equal("off", await connection.ExecuteScalarAsync<string>("SHOW jit"));
    }

    private NpgsqlDataSource Source(bool multiplexing) => multiplexing ? _multiplexed! : _source!;

    private static async Task<(long Custom, long Generic)> PlansAsync(NpgsqlDataSource source)
    {
        await using var connection = await source.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM companies WHERE name >= $1%'");
    }
}
