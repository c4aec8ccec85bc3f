using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class ImportTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private Task<JsonObject> ImportAsync(string body, string mediaType = "text/csv", string query = "") =>
        Client.PostAsync($"/v1/imports{query}", new StringContent(body, Encoding.UTF8, mediaType)).ShouldBe(HttpStatusCode.OK);

    private static void AssertAccounted(JsonObject report) =>
        Assert.Equal((long)report["rows"]!, (long)report["created"]! + (long)report["updated"]! + (long)report["unchanged"]! + (long)report["rejected"]!);

    [Fact]
    public async Task Csv_import_creates_companies_deals_and_products_and_a_second_import_changes_nothing()
    {
        var csv = """
            buyer,target,announced_on,price_amount,price_currency,products,target_country,notes
            Csv Buyer One,"Csv Target, Inc.",2011-05-02,1500000.25,usd,Widget|Gadget,FRA,"Quoted ""notes"", with commas"
            Csv Buyer One,Csv Target Two,2012,,,,,
            """;

        var first = await ImportAsync(csv);
        Assert.Equal(2, (long)first["created"]!);
        Assert.Equal(3, (long)first["companiesCreated"]!);
        Assert.Equal(2, (long)first["productsCreated"]!);
        Assert.False((bool)first["dryRun"]!);
        AssertAccounted(first);

        var second = await ImportAsync(csv);
        Assert.Equal(2, (long)second["unchanged"]!);
        Assert.Equal(0, (long)second["created"]! + (long)second["updated"]! + (long)second["companiesCreated"]! + (long)second["productsCreated"]!);

        var deals = await Client.GetAsync("/v1/acquisitions?q=csv%20target&sort=announcedOn").ShouldBe(HttpStatusCode.OK);
        var deal = deals["items"]![0]!;
        Assert.Equal("Csv Target, Inc.", (string?)deal["target"]!["name"]);
        Assert.Equal(1500000.25m, (decimal)deal["price"]!["amount"]!);
        Assert.Equal("USD", (string?)deal["price"]!["currency"]);
        Assert.Equal(["Gadget", "Widget"], deal["products"]!.AsArray().Select(p => (string?)p!["name"]).Order());
        Assert.Equal("Quoted \"notes\", with commas", (string?)deal["notes"]);
        Assert.Null(deals["items"]![1]!["price"]);
        Assert.Equal("2012", (string?)deals["items"]![1]!["announcedOn"]);
        var country = await api.QueryAsync<string>("SELECT country FROM companies WHERE name = 'Csv Target, Inc.'");
        Assert.Equal("FR", country.Single());
    }

    [Fact]
    public async Task Exported_products_are_listed_by_name_whatever_their_ids()
    {
        await ImportAsync("""
            buyer,target,announced_on,products
            Order Buyer One,Order Target,2011-05-02,Zulu Engine
            """);
        await ImportAsync("""
            buyer,target,announced_on,products
            Order Buyer Two,Order Target,2013-07-08,Zulu Engine|Alpha Engine
            """);
        var ids = (await api.QueryAsync<long>("SELECT p.id FROM products p JOIN companies c ON c.id = p.maker_id WHERE c.name = 'Order Target' ORDER BY p.name")).ToList();
        Assert.True(ids[0] > ids[1], "Alpha Engine came second, so its id orders it last");

        using var export = new HttpRequestMessage(HttpMethod.Get, "/v1/acquisitions?q=order%20target&sort=announcedOn");
        export.Headers.Accept.ParseAdd("text/csv");
        var lines = (await (await Client.SendAsync(export)).Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains(lines, l => l.StartsWith("Order Buyer Two,Order Target,2013-07-08,", StringComparison.Ordinal) && l.Contains(",Alpha Engine|Zulu Engine,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ndjson_and_json_array_imports_match_companies_by_slug_name_or_alias()
    {
        var ndjson = """
            {"buyer": "redhat", "target": "Ndjson Target", "announced_on": "2013-03", "price_amount": 5000000, "price_currency": "EUR"}
            {"buyer": "Red Hat, Inc.", "target": "Ndjson Target Two", "announced_on": "2013-04-01", "status": "pending", "type": "acquihire"}
            """;
        var report = await ImportAsync(ndjson, "application/x-ndjson");
        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal(2, (long)report["companiesCreated"]!); // both buyers are Red Hat

        var array = """[{"buyer": "red-hat", "target": "Json Target", "announced_on": "2014"}, {"buyer": "RED HAT", "target": "Json Target", "announced_on": "2015"}]""";
        var second = await ImportAsync(array, "application/json");
        Assert.Equal(2, (long)second["created"]!);

        var redHat = await Client.GetAsync("/v1/acquisitions?buyer=red-hat&announcedFrom=2013&announcedTo=2015&limit=10").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(4, redHat["items"]!.AsArray().Count);
        Assert.Contains(redHat["items"]!.AsArray(), d => (string?)d!["status"] == "pending" && (string?)d["type"] == "acquihire");
    }

    [Fact]
    public async Task A_name_that_two_companies_share_goes_to_the_older_company_and_a_new_name_to_a_new_one()
    {
        var first = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = "Twin Name Co", slug = "twin-name-co-a" })).ShouldBe(HttpStatusCode.Created);
        var second = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = "Twin-Name Co", slug = "twin-name-co-b" })).ShouldBe(HttpStatusCode.Created);
        Assert.True((long)first["id"]! < (long)second["id"]!);

        var report = await ImportAsync("buyer,target,announced_on\nTWIN NAME CO.,Twin Target Unseen,2016-02-03\n");

        Assert.Equal(1, (long)report["created"]!);
        Assert.Equal(1, (long)report["companiesCreated"]!);
        var buyers = await api.QueryAsync<long>(
            "SELECT a.buyer_id FROM acquisitions a JOIN companies t ON t.id = a.target_id WHERE t.name = 'Twin Target Unseen'");
        Assert.Equal([(long)first["id"]!], buyers);
    }

    [Fact]
    public async Task The_same_deal_with_a_coarser_date_is_matched_and_keeps_the_more_precise_date()
    {
        await ImportAsync("buyer,target,announced_on\nPrecise Buyer,Precise Target,2008-09\n");
        var finer = await ImportAsync("buyer,target,announced_on,price_amount,price_currency\nPrecise Buyer,Precise Target,2008-09-04,107000000,USD\n");
        Assert.Equal(1, (long)finer["updated"]!);
        var coarser = await ImportAsync("buyer,target,announced_on\nPrecise Buyer,Precise Target,2008\n");
        Assert.Equal(1, (long)coarser["unchanged"]!);

        var deals = await Client.GetAsync("/v1/acquisitions?q=precise%20target").ShouldBe(HttpStatusCode.OK);
        var deal = deals["items"]!.AsArray().Single()!;
        Assert.Equal("2008-09-04", (string?)deal["announcedOn"]);
        Assert.Equal(107000000m, (decimal)deal["price"]!["amount"]!);
    }

    [Fact]
    public async Task A_row_that_would_close_its_deal_before_its_announcement_is_rejected_and_the_deal_kept()
    {
        // Stored: announced in 2008, closed on 2008-03-01. The rows below would move the announcement after the close:
        // one by a more precise announcement, one (in the same upload, after a duplicate) by a later precise one with products.
        await ImportAsync("buyer,target,announced_on,closed_on\nClose Buyer,Close Target,2008,2008-03-01\nClose Buyer,Close Target Two,2009,2009-02\n");
        var csv = """
            buyer,target,announced_on,products
            Close Buyer,Close Target,2008-09-04,
            Close Buyer,Close Target Two,2009-06-10,Late Product
            Close Buyer,Close Target Two,2009-06-10,Late Product
            Close Buyer,Close Target Three,2009-06-10,
            """;

        var report = await ImportAsync(csv);

        Assert.Equal(4, (long)report["rows"]!);
        Assert.Equal(1, (long)report["created"]!);
        Assert.Equal(3, (long)report["rejected"]!);
        Assert.Equal(0, (long)report["productsCreated"]!);
        AssertAccounted(report);
        var rejections = report["rejections"]!.AsArray();
        Assert.Equal([2L, 3L, 4L], rejections.Select(r => (long)r!["line"]!));
        Assert.All(rejections, r => Assert.Equal("announced_on", (string?)r!["field"]));
        Assert.Equal("2008-09-04", (string?)rejections[0]!["value"]);
        Assert.Contains("closed 2008-03-01", (string?)rejections[0]!["reason"]);

        var deals = (await Client.GetAsync("/v1/acquisitions?buyer=close-buyer&sort=announcedOn").ShouldBe(HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Equal(["Close Target", "Close Target Two", "Close Target Three"], deals.Select(d => (string?)d!["target"]!["name"]));
        Assert.Equal(("2008", "2008-03-01"), ((string?)deals[0]!["announcedOn"], (string?)deals[0]!["closedOn"]));
        var second = deals[1]!;
        Assert.Equal(("2009", "2009-02"), ((string?)second["announcedOn"], (string?)second["closedOn"]));
        Assert.Empty(second["products"]!.AsArray());
    }

    [Fact]
    public async Task Every_rejected_row_names_its_line_field_value_and_reason_and_the_rest_is_imported()
    {
        var csv = """
            buyer,target,announced_on,closed_on,status,type,price_amount,price_currency,buyer_country,source_url,notes
            Same Co,same co,2010-01-01,,,,,,,,
            Reject Buyer,Reject T1,,,,,,,,,
            Reject Buyer,Reject T2,1201-11-03,,,,,,,,
            Reject Buyer,Reject T3,3201-10-21,,,,,,,,
            Reject Buyer,Reject T4,2010-02-30,,,,,,,,
            Reject Buyer,Reject T5,2010-01-01 00:00:00,,,,,,,,
            Reject Buyer,Reject T6,2010,,done,,,,,,
            Reject Buyer,Reject T7,2010,,,purchase,,,,,
            Reject Buyer,Reject T8,2010,,,,100,,,,
            Reject Buyer,Reject T9,2010,,,,100,XYZ,,,
            Reject Buyer,Reject T10,2010,,,,0,USD,,,
            Reject Buyer,Reject T11,2010,,,,1.234,USD,,,
            Reject Buyer,Reject T12,2010,,,,"1,000",USD,,,
            Reject Buyer,Reject T13,2010,,,,,,XX,,
            Reject Buyer,Reject T14,2010,,,,,,,ftp://x,
            Reject Buyer,Reject T15,2010-05,2010-04-30,,,,,,,
            Reject Buyer,Fine Target,2010-06-15,,,,,,,,
            """;

        var report = await ImportAsync(csv);

        Assert.Equal(17, (long)report["rows"]!);
        Assert.Equal(1, (long)report["created"]!);
        Assert.Equal(16, (long)report["rejected"]!);
        AssertAccounted(report);
        var rejections = report["rejections"]!.AsArray().ToDictionary(r => (long)r!["line"]!, r => r!);
        Assert.Equal("target", (string?)rejections[2]["field"]);
        Assert.Equal(("announced_on", (string?)null), ((string?)rejections[3]["field"], (string?)rejections[3]["value"]));
        Assert.Equal(("announced_on", "1201-11-03"), ((string?)rejections[4]["field"], (string?)rejections[4]["value"]));
        Assert.Equal("announced_on", (string?)rejections[5]["field"]);
        Assert.Equal("announced_on", (string?)rejections[7]["field"]);
        Assert.Equal("status", (string?)rejections[8]["field"]);
        Assert.Equal("type", (string?)rejections[9]["field"]);
        Assert.Equal("price_currency", (string?)rejections[10]["field"]);
        Assert.Equal("price_currency", (string?)rejections[11]["field"]);
        Assert.Equal("price_amount", (string?)rejections[12]["field"]);
        Assert.Equal(("price_amount", "1.234"), ((string?)rejections[13]["field"], (string?)rejections[13]["value"]));
        Assert.Equal("price_amount", (string?)rejections[14]["field"]);
        Assert.Equal("buyer_country", (string?)rejections[15]["field"]);
        Assert.Equal("source_url", (string?)rejections[16]["field"]);
        Assert.Equal("closed_on", (string?)rejections[17]["field"]);
        Assert.All(rejections.Values, r => Assert.False(string.IsNullOrEmpty((string?)r["reason"])));

        var withDefault = await ImportAsync("buyer,target,announced_on,price_amount\nReject Buyer,Reject T8,2010,100\n", query: "?defaultCurrency=GBP");
        Assert.Equal(1, (long)withDefault["created"]!);
    }

    [Fact]
    public async Task A_dry_run_writes_nothing_and_an_atomic_import_with_a_rejection_writes_nothing()
    {
        var before = (await api.QueryAsync<long>("SELECT count(*) FROM acquisitions")).Single();

        var dry = await ImportAsync("buyer,target,announced_on\nDry Buyer,Dry Target,2001\n", query: "?dryRun=true");
        Assert.True((bool)dry["dryRun"]!);
        Assert.Equal(1, (long)dry["created"]!);

        var atomic = await ImportAsync("buyer,target,announced_on\nAtomic Buyer,Atomic Target,2001\nAtomic Buyer,Atomic Buyer,2002\n", query: "?atomic=true");
        Assert.True((bool)atomic["dryRun"]!);
        Assert.Equal(1, (long)atomic["rejected"]!);

        Assert.Equal(before, (await api.QueryAsync<long>("SELECT count(*) FROM acquisitions")).Single());
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name IN ('Dry Buyer', 'Atomic Buyer')"));

        var committed = await ImportAsync("buyer,target,announced_on\nAtomic Buyer,Atomic Target,2001\n", query: "?atomic=true");
        Assert.False((bool)committed["dryRun"]!);
        Assert.Equal(1, (long)committed["created"]!);
    }

    [Fact]
    public async Task Bad_uploads_are_problems()
    {
        await Client.PostAsync("/v1/imports", new StringContent("x", Encoding.UTF8, "text/plain"))
            .ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");
        await Client.PostAsync("/v1/imports", new StringContent("buyer,taget,announced_on\na,b,2001\n", Encoding.UTF8, "text/csv"))
            .ShouldBeValidationProblem("columns");
        await Client.PostAsync("/v1/imports", new StringContent("", Encoding.UTF8, "text/csv")).ShouldBeValidationProblem("body");
        await Client.PostAsync("/v1/imports", new StringContent("[{\"buyer\": \"a\"", Encoding.UTF8, "application/json"))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation");
        var ndjson = await ImportAsync("not json\n{\"buyer\": \"A\", \"target\": \"B\", \"announced_on\": \"2001\", \"extra\": 1}\n", "application/x-ndjson");
        Assert.Equal(2, (long)ndjson["rejected"]!);
    }

    [Fact]
    public async Task An_export_writes_each_date_as_precisely_as_it_is_known_and_the_price_and_products_as_stored()
    {
        var lines = (await ExportAsync(Client, "announcedFrom=2006&announcedTo=2008")).Split("\r\n");

        Assert.Contains("Red Hat,JBoss,2006-04-10,2006-06-05,completed,acquisition,350000000,USD,JBoss Application Server,US,US,,\"USD 350 million up front, up to USD 70 million more on performance.\",cash-and-stock,division", lines);
        Assert.Contains("Sun Microsystems,MySQL AB,2008-01,2008-02-26,completed,acquisition,1000000000,USD,MySQL,US,SE,,Announced in January 2008; the exact day is left at month precision on purpose.,cash-and-stock,subsidiary", lines);
        Assert.Contains("Red Hat,Qumranet,2008-09-04,,completed,acquisition,107000000,USD,KVM|SolidICE,US,IL,https://www.redhat.com/en/about/press-releases/qumranet,Brought the KVM hypervisor and SolidICE.,cash,subsidiary", lines);
    }

    [Fact]
    public async Task A_rejection_names_the_line_its_record_starts_on_when_quoted_notes_span_lines()
    {
        var report = await ImportAsync("""
            buyer,target,announced_on,notes
            Lines Buyer,Lines Target 1,2013-01-02,"first line
            second line

            fourth line"
            Lines Buyer,Lines Target 2,someday,
            Lines Buyer,Lines Target 3,2013-01-03,"one
            two"
            Lines Buyer,Lines Target 4,2013-99,
            """, "text/csv");

        Assert.Equal(2, (long)report["created"]!);
        Assert.Equal([6L, 9L], report["rejections"]!.AsArray().Select(r => (long)r!["line"]!));
    }

    [Fact]
    public async Task Imported_names_get_the_slugs_the_api_gives_them_accents_and_all()
    {
        var report = await ImportAsync("""
            buyer,target,announced_on,products
            Zürich Ïmport Holding,Nestlé Import S.A.,2014-02-03,Säule Suite|Sãule Suite
            Café Crème Import,Cafe Creme Import!,2014-02-04,
            """, "text/csv");
        Assert.Equal(2, (long)report["created"]!);

        async Task<string> SlugOf(string name) =>
            (string)(await Client.GetAsync($"/v1/companies?q={Uri.EscapeDataString(name)}").ShouldBe(HttpStatusCode.OK))["items"]!.AsArray()
                .Single(c => (string?)c!["name"] == name)!["slug"]!;

        Assert.Equal(Slugs.From("Zürich Ïmport Holding"), await SlugOf("Zürich Ïmport Holding"));
        Assert.Equal("zurich-import-holding", await SlugOf("Zürich Ïmport Holding"));
        Assert.Equal("nestle-import-s-a", await SlugOf("Nestlé Import S.A."));

        // Two new companies whose names make one slug both get a suffix, rather than one being refused.
        var cafe = await SlugOf("Café Crème Import");
        var plain = await SlugOf("Cafe Creme Import!");
        Assert.NotEqual(cafe, plain);
        Assert.All([cafe, plain], s => Assert.StartsWith("cafe-creme-import-", s, StringComparison.Ordinal));

        var products = await Client.GetAsync($"/v1/companies/{await SlugOf("Nestlé Import S.A.")}/products").ShouldBe(HttpStatusCode.OK);
        var slugs = products["items"]!.AsArray().Select(p => (string)p!["slug"]!).Order().ToList();
        Assert.Equal(2, slugs.Count);
        Assert.All(slugs, s => Assert.StartsWith("saule-suite-", s, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Terms_and_disposition_are_imported_merged_and_checked()
    {
        var created = await ImportAsync("""
            buyer,target,announced_on,terms,disposition
            Terms Buyer,Terms Target,2012-03-04,stock,merged
            Terms Buyer,Terms Default,2012-03-05,,
            """, "text/csv");
        Assert.Equal(2, (long)created["created"]!);
        var deals = await Client.GetAsync("/v1/acquisitions?q=terms%20buyer&sort=announcedOn").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("stock", (string?)deals["items"]![0]!["terms"]);
        Assert.Equal("merged", (string?)deals["items"]![0]!["disposition"]);
        Assert.Null((string?)deals["items"]![1]!["terms"]);
        Assert.Equal("subsidiary", (string?)deals["items"]![1]!["disposition"]);

        // A later row for the same deal changes what it gives and keeps what it leaves out.
        var updated = await ImportAsync("buyer,target,announced_on,terms,disposition\nTerms Buyer,Terms Target,2012-03-04,,division\n", "text/csv");
        Assert.Equal(1, (long)updated["updated"]!);
        var deal = await Client.GetAsync("/v1/acquisitions?q=terms%20target").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("stock", (string?)deal["items"]![0]!["terms"]);
        Assert.Equal("division", (string?)deal["items"]![0]!["disposition"]);
        var again = await ImportAsync("buyer,target,announced_on,terms,disposition\nTerms Buyer,Terms Target,2012-03-04,,division\n", "text/csv");
        Assert.Equal(1, (long)again["unchanged"]!);

        var refused = await ImportAsync("buyer,target,announced_on,terms,disposition\nA1,B1,2012,barter,\nA2,B2,2012,,sold\n", "text/csv");
        Assert.Equal(2, (long)refused["rejected"]!);
        Assert.Equal(["terms", "disposition"], refused["rejections"]!.AsArray().Select(r => (string)r!["field"]!));
    }

    [Fact]
    public async Task An_export_imported_into_an_empty_database_reproduces_the_deals_companies_and_products()
    {
        var csv = await ExportAsync(Client, "sort=id");
        Assert.StartsWith("buyer,target,announced_on,closed_on,status,type,price_amount,price_currency,products,", csv);

        var empty = await TestDatabase.CreateEmptyAsync();
        try
        {
            await Commands.MigrateAsync([$"--ConnectionStrings:Deals={empty}"]);
            var app = (await DealsApp.CreateAsync([$"--ConnectionStrings:Deals={empty}", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]))!;
            await app.StartAsync();
            try
            {
                using var other = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                other.Authorize(await TestKeys.CreateAsync(empty, Deals.Api.Keys.Role.Writer));
                var report = await other.PostAsync("/v1/imports", new StringContent(csv, Encoding.UTF8, "text/csv")).ShouldBe(HttpStatusCode.OK);
                Assert.Equal(0, (long)report["rejected"]!);

                var roundTrip = await ExportAsync(other, "sort=id");
                Assert.Equal(Lines(csv), Lines(roundTrip));
            }
            finally
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
        finally
        {
            await TestDatabase.DropAsync(empty);
        }

        static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order()];
    }

    /// <summary>The filtered list as CSV (<c>Accept: text/csv</c>), after checking the response is one.</summary>
    private static async Task<string> ExportAsync(HttpClient client, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/acquisitions?" + query);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [SkippableFact]
    public async Task The_crunchbase_export_imports_with_every_row_accounted_for()
    {
        var file = CrunchbaseSample.FilePath;
        Skip.IfNot(File.Exists(file), "The Crunchbase sample is not beside the checkout (../shared/data).");

        // Crunchbase's columns mapped onto the canonical ones (the CLI's --map does this for any file).
        var (body, records) = await CrunchbaseSample.ToCanonicalAsync(("buyer", "acquirer_name"), ("target", "company_name"),
            ("announced_on", "acquired_at"), ("price_amount", "price_amount"), ("price_currency", "price_currency_code"),
            ("buyer_country", "acquirer_country_code"), ("target_country", "company_country_code"));
        var undated = records.Where(r => r.Source["acquired_at"] == "").Select(r => r.Line).ToList();
        var report = await ImportAsync(body);

        Assert.Equal(18968, (long)report["rows"]!);
        AssertAccounted(report);
        var rejections = report["rejections"]!.AsArray();
        // 31 rows where buyer and target are one organisation (by Crunchbase permalink), and a few more whose names differ only in punctuation.
        Assert.InRange(rejections.Count(r => ((string)r!["reason"]!).Contains("same company", StringComparison.Ordinal)), 31, 40);
        Assert.Contains(rejections, r => (string?)r!["value"] == "1201-11-03 00:00:00");
        Assert.Contains(rejections, r => (string?)r!["value"] == "3201-10-21");
        Assert.Equal(12, undated.Count);
        Assert.All(undated, line => Assert.Contains(rejections, r => (long)r!["line"]! == line));

        var again = await ImportAsync(body);
        Assert.Equal((long)report["rows"]! - (long)report["rejected"]!, (long)again["unchanged"]!);

        // Names that need quoting or are not ASCII survive byte for byte.
        var stored = await api.QueryAsync<string>("SELECT name FROM companies WHERE name LIKE '%,%' OR name ~ '[^\\x01-\\x7F]' LIMIT 50");
        Assert.NotEmpty(stored);
        Assert.All(stored, name => Assert.Contains(name, File.ReadAllText(file), StringComparison.Ordinal));
    }
}
