using Dapper;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>
/// The API's connections as PostgreSQL sees them: JIT off, value-dependent queries planned for their values
/// every time rather than moved to a generic plan after five executions of the prepared statement, and
/// prepared statements that survive a statement PostgreSQL refused.
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
        var settings = $"SELECT {string.Concat(Db.PageJoinsNotUsed.Select(s => $"current_setting('{s}') || "))}current_setting('plan_cache_mode')";
        var during = await new Db(_source!).ReadPlannedAsync(new CommandDefinition(settings), r => r.GetString(0), Db.PagePlanSql);
        Assert.Equal("offoffoffforce_custom_plan", during.Single());

        await using var connection = await _source!.OpenConnectionAsync();
        Assert.Equal("onononauto", await connection.ExecuteScalarAsync<string>(settings));
    }

    [Fact]
    public async Task Connections_run_without_jit()
    {
        await using var connection = await _source!.OpenConnectionAsync();
        Assert.Equal("off", await connection.ExecuteScalarAsync<string>("SHOW jit"));
    }

    /// <summary>
    /// A statement PostgreSQL refuses in the execution that prepares it must leave the connection fit for the next request.
    /// Refused while the values are bound (text with NUL; a value out of range in an expression folded when PostgreSQL plans
    /// for the values), Npgsql 10 keeps the statement as prepared without its result columns, and the next execution on that
    /// connection failed with "Received unexpected backend message DataRow": the CI once answered an unrelated request with
    /// a 500 after the fuzz test had sent a NUL.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_statement_refused_while_it_is_prepared_leaves_the_connection_fit_for_the_next(bool writes)
    {
        var db = new Db(_source!, actor: writes ? "1" : null, writes: writes);

        // The first use makes the statement a candidate; the second prepares it, and PostgreSQL refuses its value.
        var expected = await NamesAsync(db, "Red Hat");
        Assert.Equal(3, expected.Count);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => NamesAsync(db, "Red\0Hat"));
        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, refused.SqlState);

        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, await NamesAsync(db, "Red Hat"));
        }
    }

    [Fact]
    public async Task A_transaction_refused_while_its_statement_is_prepared_leaves_the_connection_fit_for_the_next()
    {
        var db = new Db(_source!, actor: "1", writes: true);
        Task<List<string>> InTransactionAsync(string name) => db.WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync();
            var names = (await connection.QueryAsync<string>(new CommandDefinition(NamesSql, new { Name = name }, transaction))).ToList();
            await transaction.CommitAsync();
            return names;
        }, CancellationToken.None);

        var expected = await InTransactionAsync("Red Hat");
        await Assert.ThrowsAsync<PostgresException>(() => InTransactionAsync("Red\0Hat"));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, await InTransactionAsync("Red Hat"));
        }
    }

    private const string NamesSql = "SELECT slug FROM companies WHERE name <> @Name ORDER BY id LIMIT 3";

    private static async Task<List<string>> NamesAsync(Db db, string name) =>
        [.. await db.QueryAsync<string>(new CommandDefinition(NamesSql, new { Name = name }))];

    private NpgsqlDataSource Source(bool multiplexing) => multiplexing ? _multiplexed! : _source!;

    private static async Task<(long Custom, long Generic)> PlansAsync(NpgsqlDataSource source)
    {
        await using var connection = await source.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM companies WHERE name >= $1%'");
    }
}
