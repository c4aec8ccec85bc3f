using System.Net;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class CompanyMergeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Fact]
    public async Task Merging_a_duplicate_moves_its_deals_products_aliases_and_ids_and_deletes_it()
    {
        var keep = await Client.PostJsonAsync("/v1/companies", """{"name": "Merge Keep", "externalIds": {"crunchbase": "merge-keep"}}""").ShouldBe(HttpStatusCode.Created);
        var dup = await Client.PostJsonAsync("/v1/companies", """{"name": "Merge Keep Corporation", "aliases": ["MKC"], "externalIds": {"crunchbase": "merge-keep-corp", "wikidata": "Q999999001"}}""")
            .ShouldBe(HttpStatusCode.Created);
        var other = await Client.PostJsonAsync("/v1/companies", """{"name": "Merge Target"}""").ShouldBe(HttpStatusCode.Created);
        long keepId = (long)keep["id"]!, dupId = (long)dup["id"]!, otherId = (long)other["id"]!;
        await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Dup Product", makerId = dupId })).ShouldBe(HttpStatusCode.Created);
        var product = await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Target Product", makerId = otherId })).ShouldBe(HttpStatusCode.Created);
        // The same deal recorded under both names, one deal only the duplicate has, and one between the two.
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = keepId, targetId = otherId, announcedOn = "2010-01-01" })).ShouldBe(HttpStatusCode.Created);
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = dupId, targetId = otherId, announcedOn = "2010-01-01", productIds = new[] { (long)product["id"]! } }))
            .ShouldBe(HttpStatusCode.Created);
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = otherId, targetId = dupId, announcedOn = "2012" })).ShouldBe(HttpStatusCode.Created);
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = keepId, targetId = dupId, announcedOn = "2013" })).ShouldBe(HttpStatusCode.Created);

        var merged = await Client.PostJsonAsync($"/v1/companies/{keepId}/merge", $$"""{"duplicate": "{{dup["slug"]}}"}""").ShouldBe(HttpStatusCode.OK);

        Assert.Equal(["MKC", "Merge Keep Corporation"], merged["aliases"]!.AsArray().Select(a => (string?)a).Order(StringComparer.Ordinal));
        Assert.Equal("merge-keep", (string?)merged["externalIds"]!["crunchbase"]);
        Assert.Equal("Q999999001", (string?)merged["externalIds"]!["wikidata"]);
        await Client.GetAsync($"/v1/companies/{dupId}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");

        var bought = await Client.GetAsync($"/v1/companies/{keepId}/acquisitions").ShouldBe(HttpStatusCode.OK);
        var twin = bought["items"]!.AsArray().Single()!;
        Assert.Equal(otherId, (long)twin["targetId"]!);
        Assert.Equal(["Target Product"], twin["products"]!.AsArray().Select(p => (string?)p!["name"]));
        var soldTo = await Client.GetAsync($"/v1/companies/{keepId}/acquired-by").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(otherId, (long)soldTo["items"]!.AsArray().Single()!["buyerId"]!);
        var made = await Client.GetAsync($"/v1/companies/{keepId}/products").ShouldBe(HttpStatusCode.OK);
        Assert.Contains(made["items"]!.AsArray(), p => (string?)p!["name"] == "Dup Product");
    }

    [Fact]
    public async Task A_deal_both_have_at_dates_that_contain_one_another_is_kept_once_as_the_survivors()
    {
        var keep = (long)(await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Overlap Keep") })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var dup = (long)(await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Overlap Dup") })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var target = (long)(await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Overlap Target") })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var product = (long)(await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Overlap Product", makerId = target })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var kept = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = keep, targetId = target, announcedOn = "2016-04-01" })).ShouldBe(HttpStatusCode.Created);
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = dup, targetId = target, announcedOn = "2016", productIds = new[] { product } }))
            .ShouldBe(HttpStatusCode.Created);

        // The survivor cannot hold 2016 and 2016-04-01 with the same target: they are one deal.
        await Client.PostJsonAsync($"/v1/companies/{keep}/merge", Http.Json(new { duplicate = dup.ToString(System.Globalization.CultureInfo.InvariantCulture) }))
            .ShouldBe(HttpStatusCode.OK);

        var deal = (await Client.GetAsync($"/v1/companies/{keep}/acquisitions").ShouldBe(HttpStatusCode.OK))["items"]!.AsArray().Single()!;
        Assert.Equal((long)kept["id"]!, (long)deal["id"]!);
        Assert.Equal("2016-04-01", (string?)deal["announcedOn"]);
        Assert.Equal([product], deal["products"]!.AsArray().Select(p => (long)p!["id"]!));
    }

    [Fact]
    public async Task Merging_an_unknown_company_or_a_company_into_itself_is_a_validation_problem()
    {
        await Client.PostJsonAsync("/v1/companies/red-hat/merge", """{"duplicate": "no-such-company"}""").ShouldBeValidationProblem("duplicate");
        await Client.PostJsonAsync("/v1/companies/red-hat/merge", """{"duplicate": "red-hat"}""").ShouldBeValidationProblem("duplicate");
        await Client.PostJsonAsync("/v1/companies/red-hat/merge", """{}""").ShouldBeValidationProblem("duplicate");
        await Client.PostJsonAsync("/v1/companies/nobody/merge", """{"duplicate": "red-hat"}""").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }
}
