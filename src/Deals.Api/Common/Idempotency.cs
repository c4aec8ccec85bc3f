using System.Security.Claims;
using System.Security.Cryptography;
using Dapper;
using Microsoft.AspNetCore.Mvc;

namespace Deals.Api.Common;

/// <summary>
/// <c>Idempotency-Key</c> on a POST: the first answer (status, Location, body) is kept in PostgreSQL
/// for 24 hours, per API key, and replayed for a retry with the same key and body; the same key with
/// another body is a 422. A concurrent duplicate waits for the first to finish, so one resource is
/// made. Imports (bodies over 1 MB) are idempotent by themselves and are not recorded.
/// </summary>
public static class Idempotency
{
    public const string Header = "Idempotency-Key";
    private const int MaxBody = 1024 * 1024;

    private const string ClaimSql = """
        DELETE FROM idempotency_keys WHERE key_id = @KeyId AND key = @Key AND created_at < now() - interval '24 hours';
        INSERT INTO idempotency_keys (key_id, key, request_hash) VALUES (@KeyId, @Key, @Hash) ON CONFLICT DO NOTHING RETURNING 1;
        """;

    private const string FindSql = "SELECT request_hash, status, location, content_type, body FROM idempotency_keys WHERE key_id = @KeyId AND key = @Key";
    private const string SaveSql = "UPDATE idempotency_keys SET status = @Status, location = @Location, content_type = @ContentType, body = @Body WHERE key_id = @KeyId AND key = @Key";
    private const string ReleaseSql = "DELETE FROM idempotency_keys WHERE key_id = @KeyId AND key = @Key";

    public static WebApplication UseIdempotency(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || context.Request.Headers[Header] is not [{ } key]
                || context.Request.ContentLength is null or > MaxBody)
            {
                await next(context);
                return;
            }

            if (key.Length is 0 or > 200 || key.Any(c => c is < ' ' or > '~'))
            {
                throw new RequestValidationException(Header, "Expected 1 to 200 printable ASCII characters, such as a UUID.");
            }

            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            var hash = SHA256.HashData([.. System.Text.Encoding.UTF8.GetBytes($"{context.Request.Path}{context.Request.QueryString}\n"), .. buffer.ToArray()]);
            buffer.Position = 0;
            context.Request.Body = buffer;

            var db = context.RequestServices.GetRequiredService<DataSources>().Primary;
            var args = new { KeyId = long.TryParse(context.User.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var id) ? id : 0, Key = key, Hash = hash };
            await using var connection = await db.OpenConnectionAsync(context.RequestAborted);
            if (await connection.ExecuteScalarAsync<int?>(ClaimSql, args) is null)
            {
                await ReplayAsync(context, connection, args.KeyId, key, hash);
                return;
            }

            var original = context.Response.Body;
            using var captured = new MemoryStream();
            context.Response.Body = captured;
            try
            {
                await next(context);
            }
            catch
            {
                await connection.ExecuteAsync(ReleaseSql, args);
                throw;
            }
            finally
            {
                context.Response.Body = original;
            }

            if (context.Response.StatusCode >= 500)
            {
                await connection.ExecuteAsync(ReleaseSql, args); // a retry may succeed
            }
            else
            {
                await connection.ExecuteAsync(SaveSql, new
                {
                    args.KeyId, args.Key, Status = context.Response.StatusCode, Location = context.Response.Headers.Location.ToString(),
                    context.Response.ContentType, Body = captured.ToArray(),
                });
            }

            captured.Position = 0;
            await captured.CopyToAsync(original, context.RequestAborted);
        });
        return app;
    }

    private static async Task ReplayAsync(HttpContext context, Npgsql.NpgsqlConnection connection, long keyId, string key, byte[] hash)
    {
        for (var wait = 0; wait < 100; wait++)
        {
            var row = await connection.QuerySingleOrDefaultAsync<(byte[] RequestHash, int? Status, string? Location, string? ContentType, byte[]? Body)?>(
                FindSql, new { KeyId = keyId, Key = key });
            if (row is not { } first)
            {
                throw new RequestValidationException(Header, "The first request with this key failed; send it again with a new key.");
            }

            if (!CryptographicOperations.FixedTimeEquals(first.RequestHash, hash))
            {
                context.Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = 422,
                        Type = Problems.TypeFor(422),
                        Detail = "This Idempotency-Key was used with another request body or address; use a new key for a new request.",
                    },
                });
                return;
            }

            if (first.Status is { } status)
            {
                context.Response.StatusCode = status;
                if (!string.IsNullOrEmpty(first.Location))
                {
                    context.Response.Headers.Location = first.Location;
                }

                context.Response.Headers["Idempotent-Replayed"] = "true";
                context.Response.ContentType = first.ContentType;
                await context.Response.Body.WriteAsync(first.Body ?? [], context.RequestAborted);
                return;
            }

            await Task.Delay(100, context.RequestAborted); // the first request is still running
        }

        context.Response.StatusCode = StatusCodes.Status409Conflict;
        context.Response.Headers.RetryAfter = "1";
    }
}
