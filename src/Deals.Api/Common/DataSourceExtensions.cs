using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>Dapper over the app's one data source: each call borrows a pooled connection for one statement.</summary>
public static class DataSourceExtensions
{
    public static async Task<IEnumerable<T>> QueryAsync<T>(this NpgsqlDataSource db, CommandDefinition command)
    {
        await using var connection = db.CreateConnection();
        return await connection.QueryAsync<T>(command);
    }

    public static async Task<T?> QuerySingleOrDefaultAsync<T>(this NpgsqlDataSource db, CommandDefinition command)
    {
        await using var connection = db.CreateConnection();
        return await connection.QuerySingleOrDefaultAsync<T>(command);
    }

    public static async Task<T?> ExecuteScalarAsync<T>(this NpgsqlDataSource db, CommandDefinition command)
    {
        await using var connection = db.CreateConnection();
        return await connection.ExecuteScalarAsync<T>(command);
    }

    public static async Task<int> ExecuteAsync(this NpgsqlDataSource db, CommandDefinition command)
    {
        await using var connection = db.CreateConnection();
        return await connection.ExecuteAsync(command);
    }
}
