using System.Net;
using Dapper;
using Deals.Api.Tests.Infrastructure;
using Npgsql;

namespace Deals.Api.Tests;

public sealed class AcquisitionsTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private async Task<(long Buyer, long Target)> CompaniesAsync()
    {
        var buyer = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Deal Buyer") })).ShouldBe(HttpStatusCode.Created);
        var target = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Deal Target") })).ShouldBe(HttpStatusCode.Created);
        return ((long)buyer["id"]!, (long)target["id"]!);
    }

    [Fact]
    public async Task Create_a_deal_with_products_returns_201_with_summaries_and_stores_the_links()
    {
        var (buyer, target) = await CompaniesAsync();
        var product = await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Carried", makerId = target })).ShouldBe(HttpStatusCode.Created);

        var response = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new
        {
            buyerId = buyer, targetId = target, announcedOn = "2011-02-03", closedOn = "2011-04", status = "completed",
            price = new { amount = 107000000.5m, currency = "eur" }, type = "asset-purchase", terms = "cash-and-stock", disposition = "division",
            productIds = new[] { (long)product["id"]! }, sourceUrl = "https://example.com/deal", notes = "Ünïcödé 😀 שלום e\u0301",
        }));
        var deal = await response.ShouldBe(HttpStatusCode.Created);

        var id = (long)deal["id"]!;
        Assert.Equal($"/v1/acquisitions/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(buyer, (long)deal["buyer"]!["id"]!);
        Assert.Equal(target, (long)deal["target"]!["id"]!);
        Assert.Equal("2011-02-03", (string?)deal["announcedOn"]);
        Assert.Equal("2011-04", (string?)deal["closedOn"]);
        Assert.Equal(107000000.5m, (decimal)deal["price"]!["amount"]!);
        Assert.Equal("EUR", (string?)deal["price"]!["currency"]);
        Assert.Equal("asset-purchase", (string?)deal["type"]);
        Assert.Equal("cash-and-stock", (string?)deal["terms"]);
        Assert.Equal("division", (string?)deal["disposition"]);
        Assert.Equal("Carried", (string?)deal["products"]![0]!["name"]);
        Assert.Equal("Ünïcödé 😀 שלום e\u0301", (string?)deal["notes"]);
        var links = await api.QueryAsync<long>("SELECT product_id FROM acquisition_products WHERE acquisition_id = @id", new { id });
        Assert.Equal([(long)product["id"]!], links);
        var stored = await api.QueryAsync<(DateTime, string, DateTime, string)>(
            "SELECT announced_on, announced_precision::text, closed_on, closed_precision::text FROM acquisitions WHERE id = @id", new { id });
        Assert.Equal((new DateTime(2011, 2, 3), "day", new DateTime(2011, 4, 1), "month"), stored.Single());
    }

    [Theory]
    [InlineData("2008", "year", "2008-01-01")]
    [InlineData("2008-09", "month", "2008-09-01")]
    [InlineData("2008-09-04", "day", "2008-09-04")]
    public async Task Partial_dates_round_trip_at_each_precision(string date, string precision, string stored)
    {
        var (buyer, target) = await CompaniesAsync();

        var deal = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = date, closedOn = date }))
            .ShouldBe(HttpStatusCode.Created);

        Assert.Equal(date, (string?)deal["announcedOn"]);
        Assert.Equal(date, (string?)deal["closedOn"]);
        var row = await api.QueryAsync<(DateTime, string)>("SELECT announced_on, announced_precision::text FROM acquisitions WHERE id = @id", new { id = (long)deal["id"]! });
        Assert.Equal((DateTime.Parse(stored, System.Globalization.CultureInfo.InvariantCulture), precision), row.Single());
        Assert.Equal(date, (string?)(await Client.GetAsync($"/v1/acquisitions/{(long)deal["id"]!}").ShouldBe(HttpStatusCode.OK))["announcedOn"]);
    }

    [Theory]
    [InlineData("""{"price": null}""")]
    [InlineData("""{}""")]
    public async Task An_undisclosed_price_is_null_never_zero(string price)
    {
        var (buyer, target) = await CompaniesAsync();
        var body = price.Replace("{", $$"""{"buyerId": {{buyer}}, "targetId": {{target}}, "announcedOn": "2010", """, StringComparison.Ordinal).Replace(", }", "}", StringComparison.Ordinal);

        var deal = await Client.PostJsonAsync("/v1/acquisitions", body).ShouldBe(HttpStatusCode.Created);

        Assert.Null(deal["price"]);
        Assert.Equal("completed", (string?)deal["status"]);
        Assert.Equal("acquisition", (string?)deal["type"]);
        Assert.Equal("subsidiary", (string?)deal["disposition"]);
        var stored = await api.QueryAsync<(decimal?, string?)>("SELECT price_amount, price_currency FROM acquisitions WHERE id = @id", new { id = (long)deal["id"]! });
        Assert.Equal((null, null), stored.Single());
    }

    [Theory]
    [InlineData("buyerId", """{"targetId": 2, "announcedOn": "2010"}""")]
    [InlineData("targetId", """{"buyerId": 1, "announcedOn": "2010"}""")]
    [InlineData("targetId", """{"buyerId": 1, "targetId": 1, "announcedOn": "2010"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "1799-12-31"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2999"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2024-02-30"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "10000"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2008-09-04T00:00:00"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2008-9"}""")]
    [InlineData("announcedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": 2008}""")]
    [InlineData("closedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010-05", "closedOn": "2010-04-30"}""")]
    [InlineData("closedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010-05", "closedOn": "9999"}""")]
    [InlineData("closedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010-05", "closedOn": "9999-12"}""")]
    [InlineData("closedOn", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010-05", "closedOn": "9999-12-31"}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 0, "currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": -5, "currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 1.234, "currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 1000000000000000, "currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": "100", "currency": "USD"}}""")]
    [InlineData("price.amount", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 1e400, "currency": "USD"}}""")]
    [InlineData("price.currency", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 5}}""")]
    [InlineData("price.currency", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "price": {"amount": 5, "currency": "XYZ"}}""")]
    [InlineData("status", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "status": "done"}""")]
    [InlineData("type", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "type": "purchase"}""")]
    [InlineData("terms", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "terms": "barter"}""")]
    [InlineData("disposition", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "disposition": 1}""")]
    [InlineData("productIds", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "productIds": [1, 1]}""")]
    [InlineData("productIds", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "productIds": [0]}""")]
    [InlineData("productIds", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "productIds": [7]}""")]
    [InlineData("sourceUrl", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "sourceUrl": "javascript:alert(1)"}""")]
    [InlineData("buyerId", """{"buyerId": "1", "targetId": 2, "announcedOn": "2010"}""")]
    [InlineData("unknownField", """{"buyerId": 1, "targetId": 2, "announcedOn": "2010", "unknownField": true}""")]
    public async Task Every_rule_of_a_deal_is_a_validation_problem_naming_the_field(string field, string json)
    {
        var problem = await Client.PostJsonAsync("/v1/acquisitions", json).ShouldBeValidationProblem(field);

        // An unknown enum value is answered with the allowed ones.
        var message = problem["errors"]![field]![0]!.ToString();
        if (field == "status")
        {
            Assert.Contains("announced, pending, completed, terminated", message);
        }
        else if (field == "type")
        {
            Assert.Contains("asset-purchase", message);
        }
    }

    [Fact]
    public async Task Notes_over_4000_characters_are_refused()
    {
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = 1, targetId = 2, announcedOn = "2010", notes = new string('n', 4001) }))
            .ShouldBeValidationProblem("notes");
    }

    [Fact]
    public async Task The_same_buyer_target_and_date_twice_is_a_409_and_is_stored_once()
    {
        var (buyer, target) = await CompaniesAsync();
        var json = Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2012-06-01" });
        await Client.PostJsonAsync("/v1/acquisitions", json).ShouldBe(HttpStatusCode.Created);

        var problem = await Client.PostJsonAsync("/v1/acquisitions", json).ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.Contains("same buyer, target and announcement date", (string?)problem["detail"]);
        Assert.Single(await api.QueryAsync<long>("SELECT id FROM acquisitions WHERE buyer_id = @buyer AND target_id = @target", new { buyer, target }));
    }

    [Fact]
    public async Task Dates_that_contain_one_another_are_one_deal_so_a_second_is_a_409_naming_the_first()
    {
        var (buyer, target) = await CompaniesAsync();
        var first = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016-04-01" }))
            .ShouldBe(HttpStatusCode.Created);
        var firstId = (long)first["id"]!;

        // An import would merge these into the first deal, so an export of both could not be imported back.
        var problem = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016" }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Equal($"Acquisition {firstId} of the same buyer and target was announced 2016-04-01, which overlaps 2016; dates that contain one another " +
            $"are one deal: update acquisition {firstId} instead, or give both exact days.", (string?)problem["detail"]);
        // 2016-04 starts on the same day: the unique key answers first.
        var month = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016-04" }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Contains("same buyer, target and announcement date", (string?)month["detail"]);

        // Another day of the same year, or the same year with the roles swapped, is another deal.
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016-09-30" })).ShouldBe(HttpStatusCode.Created);
        await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = target, targetId = buyer, announcedOn = "2016" })).ShouldBe(HttpStatusCode.Created);
        Assert.Equal(["2016-04-01", "2016-09-30"], (await api.QueryAsync<DateTime>(
            "SELECT announced_on FROM acquisitions WHERE buyer_id = @buyer AND target_id = @target ORDER BY 1", new { buyer, target })).Select(d => d.ToString("yyyy-MM-dd")));
    }

    [Fact]
    public async Task Re_dating_a_deal_onto_another_of_the_same_pair_is_a_409_and_changes_nothing()
    {
        var (buyer, target) = await CompaniesAsync();
        var march = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2015-03-01" })).ShouldBe(HttpStatusCode.Created);
        var june = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2015-06-01", notes = "June" }))
            .ShouldBe(HttpStatusCode.Created);
        var juneId = (long)june["id"]!;

        var patched = await Client.PatchJsonAsync($"/v1/acquisitions/{juneId}", """{"announcedOn": "2015"}""").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Contains($"Acquisition {(long)march["id"]!} of the same buyer and target was announced 2015-03-01, which overlaps 2015", (string?)patched["detail"]);
        await Client.PutJsonAsync($"/v1/acquisitions/{juneId}", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2015-03" }))
            .ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        var stored = await Client.GetAsync($"/v1/acquisitions/{juneId}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("2015-06-01", (string?)stored["announcedOn"]);
        Assert.Equal("June", (string?)stored["notes"]);
        await Client.PatchJsonAsync($"/v1/acquisitions/{juneId}", """{"announcedOn": "2015-06"}""").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Of_two_writers_storing_overlapping_dates_of_one_pair_at_once_the_second_is_a_409()
    {
        var (buyer, target) = await CompaniesAsync();

        // The first writer has stored 2016 and not committed yet (a transaction of its own, straight to the database).
        await using var first = new NpgsqlConnection(api.ConnectionString);
        await first.OpenAsync();
        await using var transaction = await first.BeginTransactionAsync();
        var firstId = await first.ExecuteScalarAsync<long>(
            "INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision) VALUES (@buyer, @target, '2016-01-01', 'year') RETURNING id",
            new { buyer, target }, transaction);

        // The second, through the API, cannot see that row yet: it must wait for the first to end, then refuse.
        var second = Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016-04-01" }));
        var waited = await Task.WhenAny(second, Task.Delay(TimeSpan.FromSeconds(1))) != second;
        await transaction.CommitAsync();

        var problem = await second.ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.True(waited, "the second writer answered before the first had committed");
        Assert.Contains($"Acquisition {firstId} of the same buyer and target was announced 2016, which overlaps 2016-04-01", (string?)problem["detail"]);
        Assert.Equal([firstId], await api.QueryAsync<long>("SELECT id FROM acquisitions WHERE buyer_id = @buyer AND target_id = @target", new { buyer, target }));
    }

    [Fact]
    public async Task A_pair_stored_before_dates_were_checked_for_overlap_can_still_be_edited()
    {
        var (buyer, target) = await CompaniesAsync();
        // As a database from before migration 0026 may hold them: written with the triggers off.
        List<long> ids;
        await using (var connection = new Npgsql.NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync("SET LOCAL session_replication_role = replica", transaction: transaction);
            ids = [.. await connection.QueryAsync<long>("""
                INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision)
                VALUES (@buyer, @target, '2014-01-01', 'year'), (@buyer, @target, '2014-05-06', 'day') RETURNING id
                """, new { buyer, target }, transaction)];
            await transaction.CommitAsync();
        }

        var patched = await Client.PatchJsonAsync($"/v1/acquisitions/{ids[0]}", """{"notes": "Kept apart"}""").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Kept apart", (string?)patched["notes"]);
        await Client.PatchJsonAsync($"/v1/acquisitions/{ids[1]}", """{"announcedOn": "2014-05"}""").ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
    }

    [Fact]
    public async Task A_buyer_that_does_not_exist_is_a_409_naming_it()
    {
        var problem = await Client.PostJsonAsync("/v1/acquisitions", """{"buyerId": 999999, "targetId": 2, "announcedOn": "2010"}""")
            .ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.Contains("buyer", (string?)problem["detail"]);
        Assert.Contains("999999", (string?)problem["detail"]);
    }

    [Fact]
    public async Task Replace_patch_and_delete_a_deal()
    {
        var (buyer, target) = await CompaniesAsync();
        var p1 = await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "P One", makerId = target })).ShouldBe(HttpStatusCode.Created);
        var p2 = await Client.PostJsonAsync("/v1/products", Http.Json(new { name = "P Two", makerId = target })).ShouldBe(HttpStatusCode.Created);
        var created = await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new
        {
            buyerId = buyer, targetId = target, announcedOn = "2013", price = new { amount = 10, currency = "USD" }, productIds = new[] { (long)p1["id"]! },
        })).ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;

        var replaced = await Client.PutJsonAsync($"/v1/acquisitions/{id}", Http.Json(new
        {
            buyerId = buyer, targetId = target, announcedOn = "2013-03", status = "pending", productIds = new[] { (long)p2["id"]! },
        })).ShouldBe(HttpStatusCode.OK);
        Assert.Equal("2013-03", (string?)replaced["announcedOn"]);
        Assert.Null(replaced["price"]);
        Assert.Equal(["P Two"], replaced["products"]!.AsArray().Select(p => (string?)p!["name"]));

        var patched = await Client.PatchJsonAsync($"/v1/acquisitions/{id}", """{"price": {"amount": 5, "currency": "GBP"}, "status": "completed"}""").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(5m, (decimal)patched["price"]!["amount"]!);
        var nested = await Client.PatchJsonAsync($"/v1/acquisitions/{id}", """{"price": {"amount": 7}}""").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("GBP", (string?)nested["price"]!["currency"]);
        var undisclosed = await Client.PatchJsonAsync($"/v1/acquisitions/{id}", """{"price": null}""").ShouldBe(HttpStatusCode.OK);
        Assert.Null(undisclosed["price"]);
        Assert.Equal("completed", (string?)undisclosed["status"]);
        await Client.PatchJsonAsync($"/v1/acquisitions/{id}", """{"statuss": "completed"}""").ShouldBeValidationProblem("statuss");

        await Client.DeleteAsync($"/v1/acquisitions/{id}").ShouldBe(HttpStatusCode.NoContent);
        await Client.GetAsync($"/v1/acquisitions/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        Assert.Empty(await api.QueryAsync<long>("SELECT product_id FROM acquisition_products WHERE acquisition_id = @id", new { id }));
        await Client.GetAsync($"/v1/companies/{buyer}").ShouldBe(HttpStatusCode.OK);
        await Client.PutJsonAsync("/v1/acquisitions/999999", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2013" }))
            .ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }
}
