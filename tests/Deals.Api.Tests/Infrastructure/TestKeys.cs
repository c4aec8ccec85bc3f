using Deals.Api.Keys;
using Npgsql;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>API keys made straight in a test database, as `keys create` would.</summary>
public static class TestKeys
{
    public static async Task<string> CreateAsync(string connectionString, Role role, DateTimeOffset? expiresAt = null)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var (_, key) = await new KeyStore(db).CreateAsync($"test {role}", role, expiresAt);
        return key;
    }

    public static HttpClient Authorize(this HttpClient client, string key)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
