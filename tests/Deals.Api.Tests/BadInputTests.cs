using System.Net;
using System.Text;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>Malformed, hostile and oversized input: always a clear 4xx problem, never a 500, never stored.</summary>
public sealed class BadInputTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"a string\"")]
    [InlineData("{\"name\": 5}")]
    [InlineData("{\"name\": \"A\", \"name\": \"B\"}")]
    [InlineData("{\"name\": \"A\", \"website\": [\"https://x.com\"]}")]
    [InlineData("{\"name\": \"\\u0000\"}")]
    [InlineData("{\"name\": \"\\ud800\"}")]
    [InlineData("{\"name\": \"x\\u0007y\"}")]
    public async Task Malformed_or_hostile_bodies_are_400_problems(string body)
    {
        var before = (await api.QueryAsync<long>("SELECT count(*) FROM companies")).Single();

        await Client.PostAsync("/v1/companies", new StringContent(body, Encoding.UTF8, "application/json"))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation");

        Assert.Equal(before, (await api.QueryAsync<long>("SELECT count(*) FROM companies")).Single());
    }

    [Fact]
    public async Task Json_nested_deeper_than_64_is_refused()
    {
        var deep = "{\"name\": \"A\", \"externalIds\": " + new string('[', 70) + new string(']', 70) + "}";
        await Client.PostJsonAsync("/v1/companies", deep).ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation");
    }

    [Fact]
    public async Task Emoji_right_to_left_and_combining_characters_are_stored_and_returned_byte_for_byte()
    {
        var name = "Ünïcödé 😀 שלום e\u0301 " + Guid.NewGuid().ToString("N")[..6];
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name, slug = "unicode-" + Guid.NewGuid().ToString("N")[..6] })).ShouldBe(HttpStatusCode.Created);

        Assert.Equal(name, (string?)created["name"]);
        Assert.Equal(name, (await api.QueryAsync<string>("SELECT name FROM companies WHERE id = @id", new { id = (long)created["id"]! })).Single());
    }

    [Fact]
    public async Task Sql_and_like_metacharacters_in_filters_match_literally()
    {
        foreach (var q in new[] { "'; DROP TABLE companies; --", "%", "_", "\\", "%_%" })
        {
            var page = await Client.GetAsync($"/v1/acquisitions?q={Uri.EscapeDataString(q)}").ShouldBe(HttpStatusCode.OK);
            Assert.Empty(page["items"]!.AsArray());
            await Client.GetAsync($"/v1/companies?q={Uri.EscapeDataString(q)}").ShouldBe(HttpStatusCode.OK);
            await Client.GetAsync($"/v1/companies/{Uri.EscapeDataString(q)}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        }

        await Client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/v1/acquisitions/abc")]
    [InlineData("/v1/acquisitions/-1")]
    [InlineData("/v1/acquisitions/9223372036854775808")]
    [InlineData("/v1/products/1.5")]
    [InlineData("/v1/nothing-here")]
    public async Task Odd_ids_and_unknown_paths_are_404_problems(string path)
    {
        await Client.GetAsync(path).ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=-1")]
    [InlineData("limit=1000000000")]
    [InlineData("limit=abc")]
    [InlineData("limit=1.5")]
    public async Task Bad_limits_are_validation_problems(string query)
    {
        await Client.GetAsync($"/v1/companies?{query}").ShouldBeValidationProblem("limit");
        await Client.GetAsync($"/v1/products?{query}").ShouldBeValidationProblem("limit");
    }

    [Theory]
    [InlineData("/v1/acquisitions?buyer=red%00hat", "buyer")]
    [InlineData("/v1/acquisitions?target=qumranet%00", "target")]
    [InlineData("/v1/acquisitions?buyer=Red%20Hat", "buyer")]
    [InlineData("/v1/stats/years?target=%00", "target")]
    [InlineData("/v1/audit?keyId=%00", "keyId")]
    [InlineData("/v1/audit?keyId=1%0A2", "keyId")]
    public async Task Filter_text_no_record_can_have_is_refused_naming_its_parameter(string uri, string field)
    {
        // Refused by the API, before PostgreSQL (which refuses text with NUL itself), and the same requests work after.
        await Client.GetAsync(uri).ShouldBeValidationProblem(field);
        await Client.GetAsync("/v1/acquisitions?buyer=red-hat&limit=1").ShouldBe(HttpStatusCode.OK);
        await Client.GetAsync("/v1/audit?limit=1").ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/v1/companies/red%01hat")]
    [InlineData("/v1/companies/red%20hat/parents")]
    [InlineData("/v1/companies/-red-hat/acquisitions")]
    public async Task A_company_key_no_slug_can_have_is_404(string path)
    {
        await Client.GetAsync(path).ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await Client.GetAsync("/v1/companies/Red-Hat").ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("aWQ6LTE")]
    [InlineData("aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5")]
    public async Task Tampered_cursors_are_validation_problems(string cursor)
    {
        await Client.GetAsync($"/v1/companies?cursor={cursor}").ShouldBeValidationProblem("cursor");
        await Client.GetAsync($"/v1/acquisitions?cursor={cursor}").ShouldBeValidationProblem("cursor");
    }

    [Fact]
    public async Task A_wrong_content_type_is_415_and_an_unknown_method_is_405_with_allow()
    {
        await Client.PostAsync("/v1/companies", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"))
            .ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");
        var response = await Client.DeleteAsync("/v1/companies");
        await response.ShouldBeProblem(HttpStatusCode.MethodNotAllowed, "/problems/method-not-allowed");
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_problem()
    {
        var huge = "{\"name\": \"" + new string('x', 2 * 1024 * 1024) + "\"}";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/companies") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        request.Headers.ExpectContinue = true; // the API refuses it before reading it

        await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "/problems/payload-too-large");
    }
}
