using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>Small helpers to send raw JSON and to assert on responses and problem bodies field by field.</summary>
public static class Http
{
    public static StringContent JsonBody(string json, string mediaType = "application/json") =>
        new(json, Encoding.UTF8, mediaType);

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json) =>
        client.PostAsync(path, JsonBody(json));

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, string json) =>
        client.PutAsync(path, JsonBody(json));

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, string json, string mediaType = "application/merge-patch+json") =>
        client.PatchAsync(path, JsonBody(json, mediaType));

    /// <summary>Asserts the status and returns the body as a JSON object.</summary>
    public static async Task<JsonObject> ShouldBe(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        return string.IsNullOrEmpty(text) ? [] : JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["value"] = JsonNode.Parse(text) };
    }

    public static async Task<JsonObject> ShouldBe(this Task<HttpResponseMessage> response, HttpStatusCode status) =>
        await (await response).ShouldBe(status);

    /// <summary>Asserts a problem response: status, problem media type, type URI, and (for validation) the fields named in <c>errors</c>.</summary>
    public static async Task<JsonObject> ShouldBeProblem(this HttpResponseMessage response, HttpStatusCode status, string type, params string[] fields)
    {
        var body = await response.ShouldBe(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (int)body["status"]!);
        Assert.Equal(type, (string?)body["type"]);
        Assert.False(string.IsNullOrEmpty((string?)body["title"]));
        var text = body.ToJsonString();
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("Npgsql", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", text, StringComparison.OrdinalIgnoreCase);
        foreach (var field in fields)
        {
            var errors = body["errors"]?.AsObject();
            Assert.True(errors is not null && errors.ContainsKey(field), $"Expected an error for '{field}' in {text}");
            Assert.NotEmpty(errors![field]!.AsArray());
        }

        return body;
    }

    public static async Task<JsonObject> ShouldBeProblem(this Task<HttpResponseMessage> response, HttpStatusCode status, string type, params string[] fields) =>
        await (await response).ShouldBeProblem(status, type, fields);

    public static Task<JsonObject> ShouldBeValidationProblem(this Task<HttpResponseMessage> response, params string[] fields) =>
        response.ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation", fields);

    public static string Unique(string prefix) => $"{prefix} {Guid.NewGuid().ToString("N")[..8]}";

    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static string Json(object value) => JsonSerializer.Serialize(value, Web);

    public static MediaTypeHeaderValue? MediaType(this HttpResponseMessage response) => response.Content.Headers.ContentType;
}
