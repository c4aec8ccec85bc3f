using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>
/// Imports that carry the companies' ids in another registry (<c>?registry=crunchbase</c> with
/// <c>buyer_external_id</c> and <c>target_external_id</c>): a company is matched by its id first, whatever it is
/// called in the file, keeps the id, and two companies of one name with different ids stay two.
/// </summary>
public sealed class ImportExternalIdTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private Task<JsonObject> ImportAsync(string csv, string query = "?registry=crunchbase") =>
        Client.PostAsync($"/v1/imports{query}", new StringContent(csv, Encoding.UTF8, "text/csv")).ShouldBe(HttpStatusCode.OK);

    private async Task<JsonObject> CompanyOfDealAsync(string role, string targetName)
    {
        var deals = await Client.GetAsync($"/v1/acquisitions?q={Uri.EscapeDataString(targetName)}&limit=500").ShouldBe(HttpStatusCode.OK);
        var deal = deals["items"]!.AsArray().Single(d => (string?)d!["target"]!["name"] == targetName)!;
        return await Client.GetAsync($"/v1/companies/{(long)deal[role]!["id"]!}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_company_is_matched_by_its_id_whatever_the_file_calls_it_and_a_new_one_keeps_its_id()
    {
        var known = await Client.PostJsonAsync("/v1/companies",
            """{"name": "Xid Alpha Corporation", "externalIds": {"crunchbase": "xid/alpha"}}""").ShouldBe(HttpStatusCode.Created);

        var report = await ImportAsync("""
            buyer,buyer_external_id,target,target_external_id,announced_on
            Alpha Renamed Ltd,xid/alpha,Xid Target One,xid/target-one,2014-03-02
            """);

        Assert.Equal(1, (long)report["created"]!);
        Assert.Equal(1, (long)report["companiesCreated"]!);
        var buyer = await CompanyOfDealAsync("buyer", "Xid Target One");
        Assert.Equal((long)known["id"]!, (long)buyer["id"]!);
        Assert.Equal("Xid Alpha Corporation", (string?)buyer["name"]);
        var target = await CompanyOfDealAsync("target", "Xid Target One");
        Assert.Equal("xid/target-one", (string?)target["externalIds"]!["crunchbase"]);
    }

    [Fact]
    public async Task Two_companies_of_one_name_with_different_ids_stay_two_and_a_second_import_changes_nothing()
    {
        var csv = """
            buyer,buyer_external_id,target,target_external_id,announced_on
            Xid Holdings,xid/holdings,Xid Apex,xid/apex,2015-01-10
            Xid Holdings,xid/holdings,Xid Apex,xid/apex-2,2015-06-10
            """;

        var first = await ImportAsync(csv);
        Assert.Equal(2, (long)first["created"]!);
        Assert.Equal(3, (long)first["companiesCreated"]!);
        var apexes = await api.QueryAsync<(long Id, string Slug, string ExternalId)>("""
            SELECT c.id, c.slug, e.external_id FROM companies c JOIN company_external_ids e ON e.company_id = c.id AND e.registry = 'crunchbase'
            WHERE c.name = 'Xid Apex' ORDER BY e.external_id
            """);
        Assert.Equal(["xid/apex", "xid/apex-2"], apexes.Select(a => a.ExternalId));
        Assert.NotEqual(apexes[0].Slug, apexes[1].Slug);

        var second = await ImportAsync(csv);
        Assert.Equal(2, (long)second["unchanged"]!);
        Assert.Equal(0, (long)second["created"]! + (long)second["updated"]! + (long)second["companiesCreated"]!);
    }

    [Fact]
    public async Task A_name_match_gives_its_id_to_a_company_without_one_but_never_to_a_company_with_another()
    {
        var gamma = await Client.PostJsonAsync("/v1/companies", """{"name": "Xid Gamma"}""").ShouldBe(HttpStatusCode.Created);
        var delta = await Client.PostJsonAsync("/v1/companies",
            """{"name": "Xid Delta", "externalIds": {"crunchbase": "xid/delta-old"}}""").ShouldBe(HttpStatusCode.Created);

        var report = await ImportAsync("""
            buyer,buyer_external_id,target,target_external_id,announced_on
            Xid Buyer,xid/buyer,xid-gamma,xid/gamma,2016-02
            Xid Buyer,xid/buyer,Xid Delta,xid/delta-new,2016-03
            """);

        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal(2, (long)report["companiesCreated"]!); // the buyer, and a second Xid Delta
        var gammaNow = await Client.GetAsync($"/v1/companies/{(long)gamma["id"]!}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("xid/gamma", (string?)gammaNow["externalIds"]!["crunchbase"]);
        Assert.Equal((long)gamma["id"]!, (long)(await CompanyOfDealAsync("target", "Xid Gamma"))["id"]!);
        var deltas = await api.QueryAsync<long>("SELECT id FROM companies WHERE name = 'Xid Delta' ORDER BY id");
        Assert.Equal(2, deltas.Count);
        Assert.Equal((long)delta["id"]!, deltas[0]);
        var deltaNow = await Client.GetAsync($"/v1/companies/{deltas[0]}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("xid/delta-old", (string?)deltaNow["externalIds"]!["crunchbase"]);
        var newDelta = await Client.GetAsync($"/v1/companies/{deltas[1]}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("xid/delta-new", (string?)newDelta["externalIds"]!["crunchbase"]);
    }

    [Fact]
    public async Task A_name_without_an_id_finds_the_company_created_for_the_same_name_with_one()
    {
        var report = await ImportAsync("""
            buyer,buyer_external_id,target,target_external_id,announced_on
            Xid Omega,xid/omega,Xid Small One,,2017-05-05
            Xid Omega,,Xid Small Two,,2017-06-06
            """);

        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal(3, (long)report["companiesCreated"]!);
        Assert.Equal(
            (long)(await CompanyOfDealAsync("buyer", "Xid Small One"))["id"]!,
            (long)(await CompanyOfDealAsync("buyer", "Xid Small Two"))["id"]!);
    }

    [Fact]
    public async Task Ids_without_a_registry_a_bad_registry_and_bad_ids_are_refused_and_nothing_is_written()
    {
        await Client.PostAsync("/v1/imports?registry=Crunch%20Base", new StringContent("buyer,target,announced_on\na,b,2001\n", Encoding.UTF8, "text/csv"))
            .ShouldBeValidationProblem("registry");

        var report = await ImportAsync($"""
            buyer,buyer_external_id,target,target_external_id,announced_on
            Xid Refused Buyer,xid/refused,Xid Refused Target,,2018
            """, query: "");
        Assert.Equal(1, (long)report["rejected"]!);
        var rejection = report["rejections"]![0]!;
        Assert.Equal(2, (long)rejection["line"]!);
        Assert.Equal("buyer_external_id", (string?)rejection["field"]);
        Assert.Equal("xid/refused", (string?)rejection["value"]);
        Assert.Contains("registry", (string?)rejection["reason"], StringComparison.Ordinal);

        var bad = await ImportAsync($"""
            buyer,buyer_external_id,target,target_external_id,announced_on
            Xid Refused Buyer,{new string('x', 201)},Xid Refused Target,,2018
            Xid Refused Buyer,xid/same,Xid Refused Target,xid/same,2018
            """);
        Assert.Equal(2, (long)bad["rejected"]!);
        Assert.Equal("buyer_external_id", (string?)bad["rejections"]![0]!["field"]);
        Assert.Equal("target_external_id", (string?)bad["rejections"]![1]!["field"]);
        Assert.Contains("same company", (string?)bad["rejections"]![1]!["reason"], StringComparison.Ordinal);
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name LIKE 'Xid Refused%'"));
    }

    [SkippableFact]
    public async Task The_crunchbase_export_with_permalinks_gives_one_company_per_permalink()
    {
        Skip.IfNot(File.Exists(CrunchbaseSample.FilePath), "The Crunchbase sample is not beside the checkout (../shared/data).");

        var (body, records) = await CrunchbaseSample.ToCanonicalAsync(("buyer", "acquirer_name"), ("buyer_external_id", "acquirer_permalink"),
            ("target", "company_name"), ("target_external_id", "company_permalink"), ("announced_on", "acquired_at"),
            ("price_amount", "price_amount"), ("price_currency", "price_currency_code"));
        var report = await ImportAsync(body);

        Assert.Equal(18968, (long)report["rows"]!);
        var rejections = report["rejections"]!.AsArray();
        // Exactly the 31 rows whose buyer and target share a permalink: names that differ only in punctuation are no longer taken for one company.
        Assert.Equal(31, rejections.Count(r => ((string)r!["reason"]!).Contains("same company", StringComparison.Ordinal)));
        var rejected = rejections.Select(r => (long)r!["line"]!).ToHashSet();
        var expected = records.Where(r => !rejected.Contains(r.Line))
            .SelectMany(r => new[] { r.Source["acquirer_permalink"], r.Source["company_permalink"] }).ToHashSet();
        var stored = await api.QueryAsync<string>("SELECT external_id FROM company_external_ids WHERE registry = 'crunchbase' AND external_id LIKE '/organization/%'");
        Assert.Equal(expected.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        // '5i Solutions' is two organisations in Crunchbase, and two companies here.
        Assert.Equal(2, (await api.QueryAsync<long>("SELECT id FROM companies WHERE name = '5i Solutions'")).Count);

        var again = await ImportAsync(body);
        Assert.Equal((long)report["rows"]! - (long)report["rejected"]!, (long)again["unchanged"]!);
        Assert.Equal(0, (long)again["companiesCreated"]!);
    }
}
