using System.Net;
using System.Text;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class ConcurrencyTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Theory]
    [InlineData("/v1/companies/red-hat")]
    [InlineData("/v1/products/1")]
    [InlineData("/v1/acquisitions/1")]
    public async Task Every_single_resource_has_an_etag_and_if_none_match_gives_304(string path)
    {
        var first = await Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(etag);
        var response = await Client.SendAsync(again);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_is_412_and_changes_nothing()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Etag Co") }));
        var id = (long)(await created.ShouldBe(HttpStatusCode.Created))["id"]!;
        var original = (await Client.GetAsync($"/v1/companies/{id}")).Headers.ETag!;

        var patched = await Send(HttpMethod.Patch, $"/v1/companies/{id}", """{"description": "first"}""", original.Tag);
        await patched.ShouldBe(HttpStatusCode.OK);
        Assert.NotEqual(original.Tag, patched.Headers.ETag!.Tag);

        var stale = await Send(HttpMethod.Patch, $"/v1/companies/{id}", """{"description": "second"}""", original.Tag);
        var problem = await stale.ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        Assert.Contains("changed", (string?)problem["detail"]);
        await Send(HttpMethod.Put, $"/v1/companies/{id}", """{"name": "Overwritten"}""", original.Tag).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        await Send(HttpMethod.Delete, $"/v1/companies/{id}", null, original.Tag).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        await Send(HttpMethod.Delete, $"/v1/companies/{id}", null, "\"not-ours\"").ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");

        var current = await Client.GetAsync($"/v1/companies/{id}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("first", (string?)current["description"]);
        await Send(HttpMethod.Delete, $"/v1/companies/{id}", null, "*").ShouldBe(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Of_two_concurrent_updates_with_the_same_etag_exactly_one_wins()
    {
        var etag = (await Client.GetAsync("/v1/acquisitions/2")).Headers.ETag!.Tag;

        for (var round = 0; round < 5; round++)
        {
            var tag = round == 0 ? etag : (await Client.GetAsync("/v1/acquisitions/2")).Headers.ETag!.Tag;
            var results = await Task.WhenAll(
                Send(HttpMethod.Patch, "/v1/acquisitions/2", $$"""{"notes": "writer A {{round}}"}""", tag),
                Send(HttpMethod.Patch, "/v1/acquisitions/2", $$"""{"notes": "writer B {{round}}"}""", tag));

            Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.OK));
            Assert.Equal(1, results.Count(r => r.StatusCode == HttpStatusCode.PreconditionFailed));
        }
    }

    [Fact]
    public async Task Products_and_deals_honour_if_match_too()
    {
        var productTag = (await Client.GetAsync("/v1/products/2")).Headers.ETag!.Tag;
        await Send(HttpMethod.Patch, "/v1/products/2", """{"category": "vdi"}""", productTag).ShouldBe(HttpStatusCode.OK);
        await Send(HttpMethod.Patch, "/v1/products/2", """{"category": "other"}""", productTag).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        await Send(HttpMethod.Delete, "/v1/acquisitions/9", null, "\"1\"").ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        await Client.GetAsync("/v1/acquisitions/9").ShouldBe(HttpStatusCode.OK);
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? json, string etag)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, method == HttpMethod.Patch ? "application/merge-patch+json" : "application/json");
        }

        request.Headers.TryAddWithoutValidation("If-Match", etag);
        return Client.SendAsync(request);
    }
}
