using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Deals.Api.Tests;

/// <summary>
/// Deals are written by a hand-written converter for speed; what it writes must be, byte for byte, what the
/// reflection-based serializer writes with the app's options, so that a field added to the contract and
/// not to the converter fails here. Every listed deal must be the deal read by id, whichever list it comes from.
/// </summary>
public sealed class AcquisitionJsonTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private JsonSerializerOptions Reflected =>
        AcquisitionJsonConverter.Reflected(api.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions);

    [Fact]
    public async Task A_deal_with_every_field_set_is_written_as_the_reflection_serializer_writes_it()
    {
        var buyer = await api.Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Json \"Buyer\" <b>") })).ShouldBe(HttpStatusCode.Created);
        var target = await api.Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Json Target é 😀") })).ShouldBe(HttpStatusCode.Created);
        var product = await api.Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Carried & \"quoted\"", makerId = (long)target["id"]! }))
            .ShouldBe(HttpStatusCode.Created);
        var created = await api.Client.PostJsonAsync("/v1/acquisitions", Http.Json(new
        {
            buyerId = (long)buyer["id"]!, targetId = (long)target["id"]!, announcedOn = "2011-02-03", closedOn = "2011-04", status = "pending",
            price = new { amount = 107000000.5m, currency = "eur" }, type = "asset-purchase", terms = "cash-and-stock", disposition = "division",
            productIds = new[] { (long)product["id"]! }, sourceUrl = "https://example.com/deal?a=1&b=<2>",
            notes = "Line\nbreak, tab\t, quote \", backslash \\, Ünïcödé 😀 שלום e\u0301 \u2028",
        })).ShouldBe(HttpStatusCode.Created);

        var body = await api.Client.GetByteArrayAsync($"/v1/acquisitions/{(long)created["id"]!}");

        var deal = JsonSerializer.Deserialize<AcquisitionResponse>(body, Reflected)!;
        Assert.Equal(DealTerms.CashAndStock, deal.Terms);
        Assert.Equal(new PartialDate(new DateOnly(2011, 4, 1), DatePrecision.Month), deal.ClosedOn);
        Assert.Equal(JsonSerializer.Serialize(deal, Reflected), System.Text.Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task A_page_of_deals_is_written_as_the_reflection_serializer_writes_it()
    {
        // The sample deals: undisclosed and disclosed prices, year, month and day dates, open and closed deals, with and without products.
        var body = await api.Client.GetByteArrayAsync("/v1/acquisitions?limit=500");

        var page = JsonSerializer.Deserialize<Page<AcquisitionResponse>>(body, Reflected)!;
        Assert.Contains(page.Items, d => d.Price is null);
        Assert.Contains(page.Items, d => d.Price is not null);
        Assert.Contains(page.Items, d => d.ClosedOn is null);
        Assert.Contains(page.Items, d => d.Products.Count > 0);
        Assert.Contains(page.Items, d => d.AnnouncedOn.Precision != DatePrecision.Day);
        Assert.Equal(JsonSerializer.Serialize(page, Reflected), System.Text.Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task A_deal_with_every_field_set_is_listed_as_it_is_read_by_id()
    {
        var buyer = await api.Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Listed \"Buyer\" <b> & +") })).ShouldBe(HttpStatusCode.Created);
        var target = await api.Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Listed Target é 😀 \\ /") })).ShouldBe(HttpStatusCode.Created);
        var buyerId = (long)buyer["id"]!;
        var targetId = (long)target["id"]!;
        var first = await api.Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Carried & \"quoted\"", makerId = targetId })).ShouldBe(HttpStatusCode.Created);
        var second = await api.Client.PostJsonAsync("/v1/products", Http.Json(new { name = "Zweites Ünïcödé", makerId = targetId })).ShouldBe(HttpStatusCode.Created);
        foreach (var (announced, closed, price) in new (string, string?, object?)[]
                 {
                     ("2011-02-03", "2011-04", new { amount = 107000000.5m, currency = "eur" }),
                     ("2012", "2013", new { amount = 100m, currency = "JPY" }),
                     ("2014-06", null, new { amount = 0.01m, currency = "USD" }),
                     ("1800-12-31", "1801", null),
                 })
        {
            await api.Client.PostJsonAsync("/v1/acquisitions", Http.Json(new
            {
                buyerId, targetId, announcedOn = announced, closedOn = closed, status = closed is null ? "pending" : "completed", price,
                type = "asset-purchase", terms = "cash-and-stock", disposition = "division",
                productIds = new[] { (long)second["id"]!, (long)first["id"]! }, sourceUrl = "https://example.com/deal?a=1&b=<2>",
                notes = "Line\nbreak, tab\t, quote \", backslash \\, slash /, Ünïcödé 😀 שלום e\u0301 \u2028 <script>",
            })).ShouldBe(HttpStatusCode.Created);
        }

        await EachIsReadByIdAsync(await api.Client.GetByteArrayAsync($"/v1/acquisitions?buyer={buyerId}&sort=-announcedOn"), 4);
        await EachIsReadByIdAsync(await api.Client.GetByteArrayAsync($"/v1/acquisitions?target={targetId}&sort=price&limit=2"), 2);
        await EachIsReadByIdAsync(await api.Client.GetByteArrayAsync($"/v1/companies/{buyerId}/acquisitions"), 4);
        await EachIsReadByIdAsync(await api.Client.GetByteArrayAsync($"/v1/companies/{targetId}/acquired-by"), 4);

        var listed = JsonNode.Parse(await api.Client.GetByteArrayAsync($"/v1/acquisitions?buyer={buyerId}&sort=announcedOn"))!["items"]!.AsArray();
        Assert.Equal(["1800-12-31", "2011-02-03", "2012", "2014-06"], listed.Select(d => (string)d!["announcedOn"]!));
        Assert.Equal(["1801", "2011-04", "2013", null], listed.Select(d => (string?)d!["closedOn"]));
        Assert.Equal(["107000000.5", "100", "0.01"], listed.Skip(1).Select(d => d!["price"]!["amount"]!.ToJsonString()));
        Assert.All(listed, d => Assert.Equal(new[] { (long)first["id"]!, (long)second["id"]! }.Order(), d!["productIds"]!.AsArray().Select(i => (long)i!)));
    }

    /// <summary>Each deal of a list body against the same deal read by id, both parsed and written again by one writer.</summary>
    private async Task EachIsReadByIdAsync(byte[] listBody, int count)
    {
        var items = JsonNode.Parse(listBody)!["items"]!.AsArray();
        Assert.Equal(count, items.Count);
        foreach (var item in items)
        {
            var byId = JsonNode.Parse(await api.Client.GetByteArrayAsync($"/v1/acquisitions/{(long)item!["id"]!}"))!;
            Assert.Equal(byId.ToJsonString(), item.ToJsonString());
        }
    }
}
