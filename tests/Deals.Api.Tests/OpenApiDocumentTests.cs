using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class OpenApiDocumentTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static readonly string CommittedPath = Path.Combine(DealsApp.RepositoryRoot(), "openapi", "deals.v1.json");

    [Fact]
    public async Task Committed_document_is_the_live_document()
    {
        var live = await api.Client.GetStringAsync("/openapi/v1.json");
        var committed = await File.ReadAllTextAsync(CommittedPath);

        Assert.True(Normalize(committed) == Normalize(live),
            "openapi/deals.v1.json differs from the live document: run `dotnet run --project src/Deals.Api -- openapi` and commit the result.");
    }

    [Fact]
    public async Task Every_operation_has_an_id_a_summary_a_description_and_problem_responses()
    {
        var document = await api.Client.GetAsync("/openapi/v1.json").ShouldBe(HttpStatusCode.OK);
        var operations = Operations(document).ToList();

        Assert.NotEmpty(operations);
        var ids = new HashSet<string>();
        foreach (var (path, method, operation) in operations)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var id = (string?)operation["operationId"];
            Assert.False(string.IsNullOrEmpty(id), $"{where} has no operationId");
            Assert.True(ids.Add(id!), $"{where}: operationId {id} is used twice");
            Assert.False(string.IsNullOrEmpty((string?)operation["summary"]), $"{where} has no summary");
            Assert.False(string.IsNullOrEmpty((string?)operation["description"]), $"{where} has no description");

            var responses = operation["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('2'));
            Assert.True(responses.ContainsKey("500"), $"{where} does not document 500");
            if (path.Contains('{', StringComparison.Ordinal))
            {
                Assert.True(responses.ContainsKey("404"), $"{where} does not document 404");
            }

            foreach (var (status, response) in responses.Where(r => r.Key[0] is '4' or '5'))
            {
                Assert.True(response!["content"]?["application/problem+json"] is not null, $"{where} {status} is not problem JSON");
            }

            if (operation["requestBody"] is { } body)
            {
                Assert.True(body["content"]!.AsObject().All(c => c.Value!["example"] is not null), $"{where} has no request example");
                Assert.True(responses.ContainsKey("413") && responses.ContainsKey("415"), $"{where} takes a body but does not document 413 and 415");
            }

            var hasContent = responses.Any(r => r.Key.StartsWith('2') && r.Value!["content"] is JsonObject { Count: > 0 });
            if (path.StartsWith("/v1/", StringComparison.Ordinal))
            {
                Assert.True(responses.ContainsKey("406") == hasContent, $"{where} documents 406 where a success {(hasContent ? "has" : "has no")} body");
            }

            foreach (var parameter in operation["parameters"]?.AsArray() ?? [])
            {
                Assert.False(string.IsNullOrEmpty((string?)parameter!["description"]), $"{where}: parameter {parameter["name"]} has no description");
            }
        }
    }

    [Fact]
    public async Task Request_examples_run_against_the_sample_data()
    {
        var document = await api.Client.GetAsync("/openapi/v1.json").ShouldBe(HttpStatusCode.OK);
        var create = Operations(document).Single(o => (string?)o.Operation["operationId"] == "CreateAcquisition").Operation;
        var example = create["requestBody"]!["content"]!["application/json"]!["example"]!.ToJsonString();

        var created = await api.Client.PostJsonAsync("/v1/acquisitions", example).ShouldBe(HttpStatusCode.Created);

        Assert.Equal("red-hat", (string?)created["buyer"]!["slug"]);
        Assert.Equal("ansible", (string?)created["target"]!["slug"]);
    }

    [Fact]
    public async Task Swagger_ui_is_served()
    {
        var response = await api.Client.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("swagger-ui", await response.Content.ReadAsStringAsync());
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(m => m.Key is "get" or "put" or "post" or "patch" or "delete")
            .Select(m => (p.Key, m.Key, m.Value!.AsObject())));

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString();
}
