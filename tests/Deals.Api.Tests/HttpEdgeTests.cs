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

    // Accept: a JSON endpoint refuses (406) what rules JSON out; the export chooses CSV or JSON by q-value.

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/json;q=0")]
    [InlineData("text/plain, application/json;q=0")]
    [InlineData("text/csv")]
    [InlineData("text/*")]
    public async Task An_accept_header_that_rules_out_json_is_406_with_a_problem_body(string accept)
    {
        var response = await Client.SendAsync(Get("/v1/companies/red-hat", accept));

        var problem = await response.ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
        Assert.Contains("application/json", (string?)problem["detail"]);
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("application/*")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/problem+json")]
    [InlineData("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8")]
    [InlineData("")]
    [InlineData("not a media type")]
    public async Task An_accept_header_that_allows_json_gets_json(string accept)
    {
        var response = await Client.SendAsync(Get("/v1/companies/red-hat", accept));

        var company = await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("red-hat", (string?)company["slug"]);
    }

    [Fact]
    public async Task Without_an_accept_header_json_is_served()
    {
        using var client = api.ClientWith(api.AdminKey);
        client.DefaultRequestHeaders.Accept.Clear();

        var response = await client.GetAsync("/v1/acquisitions?limit=1");

        await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_406_comes_after_the_key_check_and_writes_nothing()
    {
        using var anonymous = api.ClientWith(null);
        await anonymous.SendAsync(Get("/v1/companies/red-hat", "image/png")).ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");

        var name = Http.Unique("Not Acceptable");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/companies") { Content = Http.JsonBody(Http.Json(new { name })) };
        request.Headers.TryAddWithoutValidation("Accept", "image/png");
        await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }

    [Theory]
    [InlineData("/swagger/index.html", "text/html")]
    [InlineData("/openapi/v1.json", "application/json")]
    [InlineData("/health/live", "application/json")]
    public async Task Documents_and_health_are_not_negotiated_away(string path, string mediaType)
    {
        var response = await Client.SendAsync(Get(path, "text/html,application/xhtml+xml,*/*;q=0.8"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);

        var strict = await Client.SendAsync(Get(path, "text/html"));
        Assert.Equal(HttpStatusCode.OK, strict.StatusCode);
    }

    [Theory]
    [InlineData("text/csv", "text/csv")]
    [InlineData("text/csv;q=0.1, application/json", "application/json")]
    [InlineData("application/json;q=0.5, text/csv", "text/csv")]
    [InlineData("text/csv, */*;q=0.1", "text/csv")]
    [InlineData("text/*", "text/csv")]
    [InlineData("*/*", "application/json")]
    [InlineData("application/json, text/csv;q=0", "application/json")]
    public async Task The_export_chooses_csv_or_json_by_quality(string accept, string expected)
    {
        var response = await Client.SendAsync(Get("/v1/acquisitions?buyer=red-hat", accept));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Qumranet", body, StringComparison.Ordinal);
        Assert.Equal(expected == "text/csv", body.StartsWith("buyer,target,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_export_refuses_an_accept_header_that_rules_out_csv_and_json()
    {
        await Client.SendAsync(Get("/v1/acquisitions", "text/csv;q=0, application/xml"))
            .ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
    }

    // OPTIONS

    [Fact]
    public async Task Options_on_an_unknown_path_is_a_404_problem()
    {
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/no-such-thing"));

        await response.ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Options_on_a_known_path_still_lists_the_allowed_methods()
    {
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/acquisitions"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["GET", "HEAD", "OPTIONS", "POST"], response.Content.Headers.Allow.Order());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    // Slugs are lower-case: one in capitals names the same company.

    [Theory]
    [InlineData("Red-Hat")]
    [InlineData("RED-HAT")]
    public async Task A_slug_in_capitals_finds_the_company(string slug)
    {
        var response = await Client.GetAsync($"/v1/companies/{slug}");

        var company = await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("red-hat", (string?)company["slug"]);
        Assert.Equal("Red Hat", (string?)company["name"]);
    }

    [Fact]
    public async Task A_slug_in_capitals_works_on_relations_and_filters()
    {
        var lower = await Client.GetStringAsync("/v1/companies/red-hat/acquisitions");
        Assert.Contains("Qumranet", lower, StringComparison.Ordinal);

        Assert.Equal(lower, await Client.GetStringAsync("/v1/companies/Red-Hat/acquisitions"));
        Assert.Equal(await Client.GetStringAsync("/v1/companies/qumranet/parents"), await Client.GetStringAsync("/v1/companies/Qumranet/parents"));
        Assert.Equal(await Client.GetStringAsync("/v1/acquisitions?buyer=red-hat"), await Client.GetStringAsync("/v1/acquisitions?buyer=Red-Hat"));
    }

    [Fact]
    public async Task A_slug_in_capitals_changes_the_company_it_names()
    {
        var (id, slug, _) = await CompanyAsync("Capital Patch");

        var patched = await Client.PatchJsonAsync($"/v1/companies/{slug.ToUpperInvariant()}", """{"description": "by capitals"}""")
            .ShouldBe(HttpStatusCode.OK);

        Assert.Equal(id, (long)patched["id"]!);
        Assert.Equal(["by capitals"], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }
}
