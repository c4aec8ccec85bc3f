using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class HttpNicetiesTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Head_answers_like_get_without_a_body()
    {
        var response = await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/companies/red-hat"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Options_lists_the_allowed_methods()
    {
        var response = await api.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/companies/red-hat"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "PUT"], response.Content.Headers.Allow.Order());
    }

    [Fact]
    public async Task Unknown_method_is_405_with_allow_and_a_problem_body()
    {
        var response = await api.Client.PutAsync("/v1/companies", Http.JsonBody("{}"));

        await response.ShouldBeProblem(HttpStatusCode.MethodNotAllowed, "/problems/method-not-allowed");
        Assert.Equal(["GET", "POST"], response.Content.Headers.Allow.Order());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task Lists_are_compressed_when_the_client_accepts_it(string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/acquisitions?limit=20");
        request.Headers.AcceptEncoding.ParseAdd(encoding);
        var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(encoding, response.Content.Headers.ContentEncoding.Single());
        var body = await response.Content.ReadAsByteArrayAsync();
        await using Stream decoded = encoding == "gzip"
            ? new GZipStream(new MemoryStream(body), CompressionMode.Decompress)
            : new BrotliStream(new MemoryStream(body), CompressionMode.Decompress);
        var plain = new MemoryStream();
        await decoded.CopyToAsync(plain);
        var page = JsonNode.Parse(plain.ToArray())!;
        Assert.NotEmpty(page["items"]!.AsArray());
        Assert.True(body.Length * 2 < plain.Length, $"{encoding}: {body.Length} bytes for {plain.Length}");
    }

    [Fact]
    public async Task Cors_is_off_by_default()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/companies/red-hat");
        request.Headers.Add("Origin", "https://example.com");
        var response = await api.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}

public sealed class CorsFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Cors:Origins:0=https://app.example.com"];
}

public sealed class CorsTests(CorsFixture api) : IClassFixture<CorsFixture>
{
    [Fact]
    public async Task Configured_origin_gets_cors_headers_and_preflight_is_answered()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/companies/red-hat");
        request.Headers.Add("Origin", "https://app.example.com");
        var response = await api.Client.SendAsync(request);
        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/companies");
        preflight.Headers.Add("Origin", "https://app.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var answer = await api.Client.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.True(answer.Headers.Contains("Access-Control-Allow-Methods"));

        using var other = new HttpRequestMessage(HttpMethod.Get, "/v1/companies/red-hat");
        other.Headers.Add("Origin", "https://elsewhere.example.com");
        Assert.False((await api.Client.SendAsync(other)).Headers.Contains("Access-Control-Allow-Origin"));
    }
}
