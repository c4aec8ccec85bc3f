using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Deals.Api.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Keys;

/// <summary>A key to create.</summary>
public sealed record CreateKeyRequest
{
    /// <summary>What the key is for, 1–100 characters.</summary>
    [Required]
    [MaxLength(100)]
    public string? Name { get; init; }

    /// <summary><c>reader</c>, <c>writer</c> or <c>admin</c>.</summary>
    [Required]
    public string? Role { get; init; }

    /// <summary>When the key stops working (UTC); never when omitted.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>A new key: the only time its secret is shown.</summary>
/// <param name="Id">Key id.</param>
/// <param name="Key">The key, to send as <c>Authorization: Bearer &lt;key&gt;</c>. Not stored: keep it now.</param>
public sealed record CreatedKey(long Id, string Key);

public static class KeysApi
{
    public static RouteGroupBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/keys").WithTags("Keys").RequireAuthorization(Auth.Admin);
        group.MapGet("/", ListKeys).WithName("ListKeys").WithSummary("List API keys")
            .WithDescription("Every key with its role, expiry and revocation; never the secrets (they are not stored). Admin only.");
        group.MapPost("/", CreateKey).WithName("CreateKey").WithSummary("Create an API key")
            .WithDescription("Returns the key once; only a hash of it is kept. Admin only.")
            .ProducesValidationProblem();
        group.MapDelete("/{id:long}", RevokeKey).WithName("RevokeKey").WithSummary("Revoke an API key")
            .WithDescription("The key stops working at once. Admin only.");
        return group;
    }

    public static async Task<Ok<List<ApiKeyInfo>>> ListKeys(KeyStore keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(await keys.ListAsync(cancellationToken));

    public static async Task<Results<Created<CreatedKey>, ValidationProblem>> CreateKey(CreateKeyRequest request, KeyStore keys, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100 || !Validation.IsPlainText(request.Name))
        {
            return Problems.Validation("name", "'name' is required: plain text of at most 100 characters.");
        }

        if (!Enum.TryParse<Role>(request.Role, ignoreCase: true, out var role) || !Enum.IsDefined(role) || int.TryParse(request.Role, out _))
        {
            return Problems.Validation("role", "Expected one of: reader, writer, admin.");
        }

        var (id, key) = await keys.CreateAsync(request.Name.Trim(), role, request.ExpiresAt, cancellationToken);
        return TypedResults.Created($"/v1/keys/{id}", new CreatedKey(id, key));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeKey([Description("Key id.")] long id, KeyStore keys, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(id, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound($"No active key has the id {id}.");
}
