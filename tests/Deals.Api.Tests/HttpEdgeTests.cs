using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>HTTP at its edges: weak ETags, Accept that rules JSON out, OPTIONS anywhere, slugs in capitals, encoded bodies.</summary>
public sealed class HttpEdgeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private static HttpRequestMessage Get(string path, string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return request;
    }

    private async Task<(long Id, string Slug, string ETag)> CompanyAsync(string prefix)
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique(prefix) })).ShouldBe(HttpStatusCode.Created);
        var response = await Client.GetAsync($"/v1/companies/{(long)created["id"]!}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ((long)created["id"]!, (string)created["slug"]!, response.Headers.ETag!.ToString());
    }

    // Weak comparison for If-None-Match, strong for If-Match (RFC 9110 13.1.1, 13.1.2).

    [Theory]
    [InlineData("W/{0}")]
    [InlineData("\"other\", W/{0}")]
    [InlineData("{0}")]
    public async Task If_none_match_with_the_weak_form_of_the_etag_is_304(string header)
    {
        var (id, _, etag) = await CompanyAsync("Weak Etag");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", string.Format(header, etag));

        var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task If_none_match_with_another_weak_tag_is_200()
    {
        var (id, _, _) = await CompanyAsync("Weak Other");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", "W/\"1234\"");

        var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task If_match_with_the_weak_form_of_the_etag_is_412_and_changes_nothing()
    {
        var (id, _, etag) = await CompanyAsync("Weak Match");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/companies/{id}")
        {
            Content = Http.JsonBody("""{"description": "changed"}""", "application/merge-patch+json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "W/" + etag);

        await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");

        Assert.Equal([null], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }
}
