using System.Text.Json;
using System.Text.Json.Nodes;
using FluentValidation;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Deals.Api.Common;

/// <summary>
/// JSON Merge Patch (RFC 7396): the patch is merged into the resource's current request shape, and
/// the result goes through the same deserialization and validation as a full replacement.
/// </summary>
public static class MergePatch
{
    public const string MediaType = "application/merge-patch+json";

    /// <summary>Reads the patch document and applies it to <paramref name="current"/>, returning the merged request or a validation problem.</summary>
    public static async Task<(T? Merged, IResult? Problem)> ApplyAsync<T>(HttpRequest request, T current, CancellationToken cancellationToken)
        where T : class
    {
        var contentType = request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(contentType, MediaType, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(contentType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, TypedResults.Problem(statusCode: 415, type: Problems.TypeFor(415),
                detail: $"Send the patch as {MediaType} (or application/json)."));
        }

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        JsonNode? patch;
        try
        {
            patch = await JsonNode.ParseAsync(request.Body, new JsonNodeOptions { PropertyNameCaseInsensitive = false },
                new JsonDocumentOptions { MaxDepth = options.MaxDepth == 0 ? 64 : options.MaxDepth, AllowDuplicateProperties = false },
                cancellationToken);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException("The body is not valid JSON.", e);
        }

        if (patch is not JsonObject patchObject)
        {
            return (null, Problems.Validation("body", "A merge patch must be a JSON object."));
        }

        var target = JsonSerializer.SerializeToNode(current, options)!.AsObject();
        Merge(target, patchObject);
        var merged = target.Deserialize<T>(options)!;

        var validator = request.HttpContext.RequestServices.GetRequiredService<IValidator<T>>();
        var result = await validator.ValidateAsync(merged, cancellationToken);
        return result.IsValid ? (merged, null) : (null, Problems.Validation(result.ToDictionary()));
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch.ToArray())
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject patchChild && target[name] is JsonObject targetChild)
            {
                Merge(targetChild, patchChild);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }
}
