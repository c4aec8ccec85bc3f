using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class CompaniesTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Fact]
    public async Task Get_company_by_slug_returns_the_sample_company()
    {
        var body = await Client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);

        Assert.Equal("red-hat", (string?)body["slug"]);
        Assert.Equal("Red Hat", (string?)body["name"]);
        Assert.Equal("US", (string?)body["country"]);
        Assert.Contains("Redhat", body["aliases"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("Q45578", (string?)body["externalIds"]!["wikidata"]);
    }

    [Fact]
    public async Task Get_company_by_id_and_by_slug_return_the_same_company()
    {
        var bySlug = await Client.GetAsync("/v1/companies/qumranet").ShouldBe(HttpStatusCode.OK);
        var byId = await Client.GetAsync($"/v1/companies/{(long)bySlug["id"]!}").ShouldBe(HttpStatusCode.OK);

        Assert.Equal(bySlug.ToJsonString(), byId.ToJsonString());
    }

    [Fact]
    public async Task Create_company_derives_the_slug_trims_the_name_and_stores_alpha2_country()
    {
        var name = Http.Unique("Nestlé Health");
        var response = await Client.PostJsonAsync("/v1/companies", Http.Json(new
        {
            name = "  " + name + "  ",
            aliases = new[] { "Nestle Health", "Nestle Health" },
            externalIds = new Dictionary<string, string> { ["wikidata"] = "Q" + Guid.NewGuid().ToString("N")[..6] },
            country = "che",
            website = "https://www.nestlehealthscience.com",
        }));
        var body = await response.ShouldBe(HttpStatusCode.Created);

        var id = (long)body["id"]!;
        Assert.Equal($"/v1/companies/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(name, (string?)body["name"]);
        Assert.StartsWith("nestle-health-", (string?)body["slug"]);
        Assert.Equal("CH", (string?)body["country"]);
        Assert.Equal(["Nestle Health"], body["aliases"]!.AsArray().Select(a => (string?)a));
        var stored = await api.QueryAsync<string>("SELECT country FROM companies WHERE id = @id", new { id });
        Assert.Equal("CH", stored.Single());
    }

    [Fact]
    public async Task Create_company_with_a_taken_slug_returns_conflict_naming_the_slug()
    {
        var body = await Client.PostJsonAsync("/v1/companies", """{"name": "Red Hat"}""")
            .ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.Contains("slug", (string?)body["detail"]);
        Assert.Contains("red-hat", (string?)body["detail"]);
    }

    [Fact]
    public async Task Create_company_with_an_external_id_of_another_company_returns_conflict()
    {
        var body = await Client.PostJsonAsync("/v1/companies", Http.Json(new
        {
            name = Http.Unique("Impostor"),
            externalIds = new Dictionary<string, string> { ["wikidata"] = "Q45578" },
        })).ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.Contains("Q45578", (string?)body["detail"]);
    }

    [Theory]
    [InlineData("""{}""", "name")]
    [InlineData("""{"name": "   "}""", "name")]
    [InlineData("""{"name": null}""", "name")]
    [InlineData("""{"name": "Valid", "slug": "Not A Slug"}""", "slug")]
    [InlineData("""{"name": "Valid", "slug": "trailing-"}""", "slug")]
    [InlineData("""{"name": "株式会社"}""", "slug")]
    [InlineData("""{"name": "Valid", "country": "XX"}""", "country")]
    [InlineData("""{"name": "Valid", "country": "USAA"}""", "country")]
    [InlineData("""{"name": "Valid", "website": "ftp://example.com"}""", "website")]
    [InlineData("""{"name": "Valid", "website": "not a url"}""", "website")]
    [InlineData("""{"name": "Valid", "aliases": [""]}""", "aliases[0]")]
    [InlineData("""{"name": "Valid", "externalIds": {"Bad Registry": "x"}}""", "externalIds[0]")]
    [InlineData("""{"name": "Valid", "externalIds": {"crunchbase": ""}}""", "externalIds[0]")]
    public async Task Create_company_with_an_invalid_field_returns_validation_problem(string json, string field)
    {
        await Client.PostJsonAsync("/v1/companies", json).ShouldBeValidationProblem(field);
    }

    [Fact]
    public async Task Create_company_with_over_long_fields_returns_validation_problem()
    {
        await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = new string('a', 201) })).ShouldBeValidationProblem("name");
        await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = "Valid", description = new string('a', 2001) })).ShouldBeValidationProblem("description");
        await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = "Valid", aliases = new[] { new string('a', 201) } })).ShouldBeValidationProblem("aliases[0]");
    }

    [Fact]
    public async Task Create_company_accepts_names_of_exactly_200_characters()
    {
        var name = Guid.NewGuid().ToString("N") + new string('b', 168);
        var body = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name })).ShouldBe(HttpStatusCode.Created);
        Assert.Equal(200, ((string?)body["name"])!.Length);
    }

    [Fact]
    public async Task Replace_company_sets_every_field_and_keeps_the_slug_when_omitted()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new
        {
            name = Http.Unique("Replace Me"),
            aliases = new[] { "Old Alias" },
            country = "US",
            description = "old",
        })).ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;

        var replaced = await Client.PutJsonAsync($"/v1/companies/{id}", Http.Json(new { name = "Replaced Name", aliases = new[] { "New Alias" } }))
            .ShouldBe(HttpStatusCode.OK);

        Assert.Equal("Replaced Name", (string?)replaced["name"]);
        Assert.Equal((string?)created["slug"], (string?)replaced["slug"]);
        Assert.Equal(["New Alias"], replaced["aliases"]!.AsArray().Select(a => (string?)a));
        Assert.Null((string?)replaced["country"]);
        Assert.Null((string?)replaced["description"]);
        var aliases = await api.QueryAsync<string>("SELECT alias FROM company_aliases WHERE company_id = @id", new { id });
        Assert.Equal(["New Alias"], aliases);
    }

    [Fact]
    public async Task Patch_company_changes_only_the_fields_sent_and_null_clears_one()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new
        {
            name = Http.Unique("Patch Me"),
            country = "DE",
            website = "https://example.com",
            aliases = new[] { "Keep Me" },
        })).ShouldBe(HttpStatusCode.Created);
        var slug = (string?)created["slug"];

        var patched = await Client.PatchJsonAsync($"/v1/companies/{slug}", """{"description": "patched", "website": null}""")
            .ShouldBe(HttpStatusCode.OK);

        Assert.Equal("patched", (string?)patched["description"]);
        Assert.Null((string?)patched["website"]);
        Assert.Equal("DE", (string?)patched["country"]);
        Assert.Equal(["Keep Me"], patched["aliases"]!.AsArray().Select(a => (string?)a));
        Assert.Equal(slug, (string?)patched["slug"]);
    }

    [Fact]
    public async Task Patch_company_accepts_plain_json_and_validates_the_result()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Patch Json") })).ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;

        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"country": "FR"}""", "application/json").ShouldBe(HttpStatusCode.OK);
        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"name": ""}""").ShouldBeValidationProblem("name");
        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"nmae": "typo"}""").ShouldBeValidationProblem("nmae");
        await Client.PatchJsonAsync($"/v1/companies/{id}", """["not", "an", "object"]""").ShouldBeValidationProblem("body");
        var unsupported = await Client.PatchAsync($"/v1/companies/{id}", new StringContent("country=FR", System.Text.Encoding.UTF8, "text/plain"));
        await unsupported.ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");
    }

    [Fact]
    public async Task Delete_company_removes_it_and_then_it_is_not_found()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Delete Me"), aliases = new[] { "x" } }))
            .ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;

        await Client.DeleteAsync($"/v1/companies/{id}").ShouldBe(HttpStatusCode.NoContent);

        await Client.GetAsync($"/v1/companies/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await Client.DeleteAsync($"/v1/companies/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        Assert.Empty(await api.QueryAsync<string>("SELECT alias FROM company_aliases WHERE company_id = @id", new { id }));
    }

    [Fact]
    public async Task Delete_company_that_deals_reference_returns_conflict_and_keeps_it()
    {
        var body = await Client.DeleteAsync("/v1/companies/qumranet").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.StartsWith("The company is still referenced by", (string?)body["detail"]);
        await Client.GetAsync("/v1/companies/qumranet").ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/v1/companies/no-such-company")]
    [InlineData("/v1/companies/999999999")]
    [InlineData("/v1/companies/9223372036854775808")]
    public async Task Unknown_company_returns_not_found_problem(string path)
    {
        var body = await Client.GetAsync(path).ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        Assert.Contains("No company", (string?)body["detail"]);
    }

    [Fact]
    public async Task List_companies_walks_every_page_once_in_id_order()
    {
        var seen = new List<long>();
        string? next = "/v1/companies?limit=4";
        while (next is not null)
        {
            var response = await Client.GetAsync(next);
            var page = await response.ShouldBe(HttpStatusCode.OK);
            seen.AddRange(page["items"]!.AsArray().Select(c => (long)c!["id"]!));
            var cursor = (string?)page["nextCursor"];
            if (cursor is not null)
            {
                var link = response.Headers.GetValues("Link").Single();
                Assert.Contains($"cursor={cursor}", link);
                Assert.EndsWith("rel=\"next\"", link);
            }
            else
            {
                Assert.False(response.Headers.Contains("Link"));
            }

            next = cursor is null ? null : $"/v1/companies?limit=4&cursor={cursor}";
        }

        var all = await api.QueryAsync<long>("SELECT id FROM companies ORDER BY id");
        Assert.Equal(all, seen);
    }
}
