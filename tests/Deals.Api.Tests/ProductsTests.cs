using System.Net;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class ProductsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Fact]
    public async Task Create_get_list_replace_patch_and_delete_a_product()
    {
        var maker = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Maker") })).ShouldBe(HttpStatusCode.Created);
        var makerId = (long)maker["id"]!;

        var response = await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Hyper Visor 2", makerId, category = "virtualization" }));
        var created = await response.ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;
        Assert.Equal($"/v1/products/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("hyper-visor-2", (string?)created["slug"]);
        Assert.Equal(makerId, (long)created["ownerId"]!);

        await Client.GetAsync($"/v1/products/{id}").ShouldBe(HttpStatusCode.OK);
        var replaced = await Client.PutJsonAsync($"/v1/products/{id}", Http.Json(new { name = "Hyper Visor Two", makerId })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("hyper-visor-2", (string?)replaced["slug"]);
        Assert.Null((string?)replaced["category"]);
        var patched = await Client.PatchJsonAsync($"/v1/products/{id}", """{"description": "A hypervisor."}""").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Hyper Visor Two", (string?)patched["name"]);
        Assert.Equal("A hypervisor.", (string?)patched["description"]);

        await Client.DeleteAsync($"/v1/products/{id}").ShouldBe(HttpStatusCode.NoContent);
        await Client.GetAsync($"/v1/products/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await Client.DeleteAsync($"/v1/products/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Kvm_is_owned_by_red_hat_through_the_completed_deal_and_a_product_nobody_bought_by_its_maker()
    {
        var kvm = await Client.GetAsync("/v1/products/1").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(2, (long)kvm["makerId"]!);
        Assert.Equal(1, (long)kvm["ownerId"]!);

        var ansible = await Client.GetAsync("/v1/products/12").ShouldBe(HttpStatusCode.OK);
        Assert.Equal((long)ansible["makerId"]!, (long)ansible["ownerId"]!);
    }

    [Fact]
    public async Task Slugs_are_unique_per_maker_and_a_missing_maker_or_a_carried_product_is_a_conflict()
    {
        await Client.PostJsonAsync("/v1/products", """{"name": "KVM", "makerId": 2}""").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        await Client.PostJsonAsync("/v1/products", """{"name": "KVM", "makerId": 3}""").ShouldBe(HttpStatusCode.Created);
        var missing = await Client.PostJsonAsync("/v1/products", """{"name": "Orphan", "makerId": 999999}""").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Contains("maker", (string?)missing["detail"]);
        var carried = await Client.DeleteAsync("/v1/products/2").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Contains("still referenced", (string?)carried["detail"]);
    }

    [Theory]
    [InlineData("""{"makerId": 1}""", "name")]
    [InlineData("""{"name": " ", "makerId": 1}""", "name")]
    [InlineData("""{"name": null, "makerId": 1}""", "name")]
    [InlineData("""{"name": "X"}""", "makerId")]
    [InlineData("""{"name": "X", "makerId": 0}""", "makerId")]
    [InlineData("""{"name": "X", "makerId": -3}""", "makerId")]
    [InlineData("""{"name": "X", "makerId": 1, "slug": "Bad Slug"}""", "slug")]
    [InlineData("""{"name": "~~~", "makerId": 1}""", "slug")]
    public async Task Every_rule_of_a_product_is_a_validation_problem(string json, string field)
    {
        await Client.PostJsonAsync("/v1/products", json).ShouldBeValidationProblem(field);
    }

    [Fact]
    public async Task Over_long_product_fields_are_refused()
    {
        await Client.PostJsonAsync("/v1/products", Http.Json(new { name = new string('p', 201), makerId = 1 })).ShouldBeValidationProblem("name");
        await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "P", makerId = 1, category = new string('c', 101) })).ShouldBeValidationProblem("category");
        await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "P", makerId = 1, description = new string('d', 2001) })).ShouldBeValidationProblem("description");
    }
}
