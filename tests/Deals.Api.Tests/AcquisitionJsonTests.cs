using System.Net;
using System.Text.Json;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Deals.Api.Tests;

/// <summary>
/// Deals are written by a hand-written converter for speed; what it writes must be, byte for byte, what the
/// reflection-based serializer writes with the app's options, so that a field added to the contract and
/// not to the converter fails here.
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
}
