using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>
/// Every operation of the committed document, sent exactly as Swagger UI's "Try it out" sends it
/// with nothing edited: each parameter's example, and the example of the first request media type.
/// Run in the order a person exploring the sample data would: reads, then creates, replacements,
/// patches, merges and undos, and deletes last, each must succeed.
/// </summary>
public sealed class OpenApiExamplesTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string[] Order = ["get", "post", "put", "patch", "delete"];

    // After the other creates (a dry-run import still uses up ids), then the actions on what the sample holds for them.
    private static readonly string[] Last = ["ImportDeals", "MergeCompany", "UndoAuditEntry"];

    [Fact]
    public async Task Every_operation_succeeds_with_its_examples_unedited()
    {
        var operations = InOrder();
        var failures = new List<string>();
        foreach (var (path, method, operation) in operations)
        {
            using var request = Build(path, method, operation);
            using var response = await api.Client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode >= 400)
            {
                failures.Add($"{operation["operationId"]}: {method.ToUpperInvariant()} {request.RequestUri} -> {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Every operation of the committed document, in the order the examples are meant to run.</summary>
    internal static List<(string Path, string Method, JsonObject Operation)> InOrder()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(DealsApp.RepositoryRoot(), "openapi", "deals.v1.json")))!.AsObject();
        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(m => Order.Contains(m.Key)).Select(m => (Path: p.Key, Method: m.Key, Operation: m.Value!.AsObject())))
            .OrderBy(o => o.Method == "delete" ? 2 : Last.Contains((string?)o.Operation["operationId"]) ? 1 : 0)
            .ThenBy(o => Array.IndexOf(Order, o.Method))
            .ThenBy(o => Array.IndexOf(Last, (string?)o.Operation["operationId"]))
            .ToList();
        Assert.Equal(document["paths"]!.AsObject().Sum(p => p.Value!.AsObject().Count(m => Order.Contains(m.Key))), operations.Count);
        return operations;
    }

    private static HttpRequestMessage Build(string path, string method, JsonObject operation)
    {
        var query = new List<string>();
        foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
        {
            var example = parameter!["example"] ?? parameter["schema"]?["example"];
            if (example is null)
            {
                Assert.False((bool?)parameter["required"] ?? false, $"{operation["operationId"]}: required parameter {parameter["name"]} has no example");
                continue;
            }

            var value = example.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)example! : example.ToJsonString();
            var name = (string)parameter["name"]!;
            switch ((string?)parameter["in"])
            {
                case "path":
                    path = path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal);
                    break;
                case "query":
                    query.Add($"{name}={Uri.EscapeDataString(value)}");
                    break;
            }
        }

        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
        if (operation["requestBody"]?["content"]?.AsObject().FirstOrDefault() is { Key: var mediaType, Value: var content })
        {
            var example = content!["example"];
            Assert.True(example is not null, $"{operation["operationId"]}: the request body ({mediaType}) has no example");
            var text = example!.GetValueKind() == System.Text.Json.JsonValueKind.String ? (string)example! : example.ToJsonString();
            request.Content = new StringContent(text, Encoding.UTF8, mediaType);
        }

        return request;
    }
}
