using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>Owners of products, chains of control and acquisition trees, on the sample deals and on crafted bad data.</summary>
public sealed class ControlTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Fact]
    public async Task Kvm_was_made_by_qumranet_and_owned_by_red_hat_from_the_2008_deal()
    {
        var owners = await Client.GetAsync("/v1/products/1/owners").ShouldBe(HttpStatusCode.OK);

        Assert.Equal("kvm", (string?)owners["product"]!["slug"]);
        var list = owners["owners"]!.AsArray();
        Assert.Equal(["qumranet", "red-hat"], list.Select(o => (string?)o!["company"]!["slug"]));
        Assert.Null(list[0]!["since"]);
        Assert.Null(list[0]!["via"]);
        Assert.Equal("2008-09-04", (string?)list[1]!["since"]);
        Assert.Equal(1, (long)list[1]!["via"]!["id"]!);
        await Client.GetAsync("/v1/products/999999/owners").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Qumranet_is_controlled_by_red_hat_and_through_it_by_ibm_today_but_by_red_hat_alone_in_2010()
    {
        var today = await Client.GetAsync("/v1/companies/qumranet/parents").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["red-hat", "ibm"], Slugs(today["parents"]!));
        Assert.Equal("2019-07-09", (string?)today["parents"]![1]!["via"]!["closedOn"]);

        var in2010 = await Client.GetAsync("/v1/companies/qumranet/parents?asOf=2010").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["red-hat"], Slugs(in2010["parents"]!));
        Assert.Equal("2010", (string?)in2010["asOf"]);

        // IBM closed on 2019-07-09: at the end of June 2019 Red Hat was still on its own; by the end of July it was IBM's.
        Assert.Equal(["red-hat"], Slugs((await Client.GetAsync("/v1/companies/qumranet/parents?asOf=2019-06").ShouldBe(HttpStatusCode.OK))["parents"]!));
        Assert.Equal(["red-hat", "ibm"], Slugs((await Client.GetAsync("/v1/companies/qumranet/parents?asOf=2019-07").ShouldBe(HttpStatusCode.OK))["parents"]!));
        Assert.Empty((await Client.GetAsync("/v1/companies/qumranet/parents?asOf=2008-09-03").ShouldBe(HttpStatusCode.OK))["parents"]!.AsArray());
    }

    [Fact]
    public async Task Only_completed_deals_that_kept_the_target_as_subsidiary_or_division_make_a_parent()
    {
        await api.ExecuteAsync("""
            INSERT INTO companies (slug, name) VALUES ('child-co', 'Child Co'), ('pending-parent', 'Pending Parent'),
                ('product-buyer', 'Product Buyer'), ('real-parent', 'Real Parent');
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, status, disposition)
            SELECT b.id, (SELECT id FROM companies WHERE slug = 'child-co'), v.d::date, 'day', v.status, v.disposition
            FROM (VALUES ('real-parent', '2001-01-01', 'completed', 'subsidiary'),
                         ('product-buyer', '2002-01-01', 'completed', 'product-only'),
                         ('pending-parent', '2003-01-01', 'pending', 'subsidiary')) v (slug, d, status, disposition)
            JOIN companies b ON b.slug = v.slug;
            """);

        var chain = await Client.GetAsync("/v1/companies/child-co/parents").ShouldBe(HttpStatusCode.OK);

        Assert.Equal(["real-parent"], Slugs(chain["parents"]!));
    }

    [Fact]
    public async Task A_cycle_in_bad_data_neither_hangs_nor_fails()
    {
        await api.ExecuteAsync("""
            INSERT INTO companies (slug, name) VALUES ('cycle-a', 'Cycle A'), ('cycle-b', 'Cycle B'), ('cycle-c', 'Cycle C');
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision)
            SELECT b.id, t.id, v.d::date, 'day'
            FROM (VALUES ('cycle-a', 'cycle-b', '2001-01-01'), ('cycle-b', 'cycle-c', '2002-01-01'), ('cycle-c', 'cycle-a', '2003-01-01')) v (buyer, target, d)
            JOIN companies b ON b.slug = v.buyer JOIN companies t ON t.slug = v.target;
            """);

        var parents = await Client.GetAsync("/v1/companies/cycle-a/parents").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(["cycle-c", "cycle-b"], Slugs(parents["parents"]!));

        var tree = await Client.GetAsync("/v1/companies/cycle-a/tree?depth=5").ShouldBe(HttpStatusCode.OK);
        var b = tree["acquired"]!.AsArray().Single()!;
        Assert.Equal("cycle-b", (string?)b["company"]!["slug"]);
        var c = b["acquired"]!.AsArray().Single()!;
        Assert.Equal("cycle-c", (string?)c["company"]!["slug"]);
        Assert.Empty(c["acquired"]!.AsArray());
    }

    [Fact]
    public async Task Ibm_tree_reaches_qumranet_and_jboss_through_red_hat_within_the_depth()
    {
        var tree = await Client.GetAsync("/v1/companies/ibm/tree?depth=2").ShouldBe(HttpStatusCode.OK);

        var redHat = tree["acquired"]!.AsArray().Single()!;
        Assert.Equal("red-hat", (string?)redHat["company"]!["slug"]);
        Assert.Equal(34000000000m, (decimal)redHat["via"]!["price"]!["amount"]!);
        Assert.Equal(["jboss", "qumranet"], Slugs(redHat["acquired"]!, "company"));
        Assert.False((bool)tree["truncated"]!);

        // Each node's deal is the deal as read by id, at every depth.
        foreach (var node in new[] { redHat }.Concat(redHat["acquired"]!.AsArray()!))
        {
            var via = node!["via"]!;
            var deal = await Client.GetAsync($"/v1/acquisitions/{(long)via["id"]!}").ShouldBe(HttpStatusCode.OK);
            Assert.Equal((string?)deal["target"]!["slug"], (string?)node["company"]!["slug"]);
            foreach (var field in new[] { "announcedOn", "closedOn", "price", "disposition" })
            {
                Assert.Equal(deal[field]?.ToJsonString(), via[field]?.ToJsonString());
            }
        }

        var shallow = await Client.GetAsync("/v1/companies/ibm/tree?depth=1").ShouldBe(HttpStatusCode.OK);
        Assert.Empty(shallow["acquired"]![0]!["acquired"]!.AsArray());

        await Client.GetAsync("/v1/companies/ibm/tree?depth=0").ShouldBeValidationProblem("depth");
        await Client.GetAsync("/v1/companies/ibm/tree?depth=6").ShouldBeValidationProblem("depth");
        await Client.GetAsync("/v1/companies/ibm/parents?asOf=2019-13").ShouldBeValidationProblem("asOf");
        await Client.GetAsync("/v1/companies/nobody/tree").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Parents_name_the_company_by_id_or_slug_and_an_unknown_one_is_404()
    {
        var bySlug = await Client.GetAsync("/v1/companies/qumranet/parents").ShouldBe(HttpStatusCode.OK);
        var id = (long)bySlug["company"]!["id"]!;
        var byId = await Client.GetAsync($"/v1/companies/{id}/parents").ShouldBe(HttpStatusCode.OK);

        Assert.Equal("qumranet", (string?)byId["company"]!["slug"]);
        Assert.Equal("Qumranet", (string?)byId["company"]!["name"]);
        Assert.Equal(["red-hat", "ibm"], Slugs(byId["parents"]!));
        Assert.Equal(bySlug.ToJsonString(), byId.ToJsonString());

        await Client.GetAsync("/v1/companies/nobody/parents").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await Client.GetAsync("/v1/companies/999999999/parents").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    /// <summary>The slugs in the order the API gave them (nearest parent first).</summary>
    private static List<string?> Slugs(JsonNode list) => [.. list.AsArray().Select(p => (string?)p!["company"]!["slug"])];

    /// <summary>The slugs sorted, for sets whose order is not part of the contract.</summary>
    private static List<string?> Slugs(JsonNode list, string field) => [.. list.AsArray().Select(p => (string?)p![field]!["slug"]).Order()];
}
