using Deals.Api.Tests.Infrastructure;
using Deals.Client;

namespace Deals.Api.Tests;

/// <summary>
/// Uses the C# client NSwag generates from <c>openapi/deals.v1.json</c> at build time: nullable
/// fields, enums, partial dates, money and paging must all survive a real code generator.
/// </summary>
public sealed class GeneratedClientTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private DealsClient Client => new(api.Client);

    [Fact]
    public async Task Generated_client_creates_reads_and_pages_deals()
    {
        var buyer = await Client.CreateCompanyAsync(new CompanyRequest { Name = Http.Unique("Client Buyer"), Country = "NLD" });
        Assert.Equal("NL", buyer.Country);

        var targets = new List<CompanyResponse>();
        for (var i = 0; i < 3; i++)
        {
            targets.Add(await Client.CreateCompanyAsync(new CompanyRequest { Name = Http.Unique("Client Target") }));
        }

        var disclosed = await Client.CreateAcquisitionAsync(new AcquisitionRequest
        {
            BuyerId = buyer.Id,
            TargetId = targets[0].Id,
            AnnouncedOn = "2019-03",
            Price = new Price { Amount = 1234567.89m, Currency = "EUR" },
            Type = AcquisitionRequestType.AssetPurchase,
            Terms = AcquisitionRequestTerms.CashAndStock,
        });
        Assert.Equal("2019-03", disclosed.AnnouncedOn);
        Assert.Equal(1234567.89m, disclosed.Price.Amount);
        Assert.Equal("EUR", disclosed.Price.Currency);
        Assert.Equal(AcquisitionResponseTerms.CashAndStock, disclosed.Terms);
        Assert.Equal(AcquisitionResponseType.AssetPurchase, disclosed.Type);
        Assert.Equal(AcquisitionResponseStatus.Completed, disclosed.Status);
        Assert.Null(disclosed.ClosedOn);

        var undisclosed = await Client.CreateAcquisitionAsync(new AcquisitionRequest
        {
            BuyerId = buyer.Id, TargetId = targets[1].Id, AnnouncedOn = "2020", Status = AcquisitionRequestStatus.Pending,
        });
        Assert.Null(undisclosed.Price);
        Assert.Null(undisclosed.Terms);
        Assert.Equal("2020", (await Client.GetAcquisitionAsync(undisclosed.Id)).AnnouncedOn);

        await Client.CreateAcquisitionAsync(new AcquisitionRequest { BuyerId = buyer.Id, TargetId = targets[2].Id, AnnouncedOn = "2021-06-30" });

        var seen = new List<long>();
        string? cursor = null;
        do
        {
            var page = await Client.ListCompanyAcquisitionsAsync(buyer.Slug, limit: 2, cursor: cursor);
            seen.AddRange(page.Items.Select(a => a.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        Assert.Equal(3, seen.Count);
        Assert.Equal(seen.Order(), seen);
    }

    [Fact]
    public async Task Generated_client_imports_deal_records_and_reads_the_report()
    {
        var buyer = Http.Unique("Client Import Buyer");
        DealRecord[] records =
        [
            new() { Buyer = buyer, Target = "Client Import Target", Announced_on = "2016-04", Price_amount = 2500000.5m, Price_currency = "EUR", Products = "Widget|Gadget", Target_country = "DE" },
            new() { Buyer = buyer, Target = "Client Import Other", Announced_on = "2017", Status = "pending" },
            new() { Buyer = buyer, Target = buyer, Announced_on = "2018" },
        ];

        var dry = await Client.ImportDealsAsync(records, dryRun: true);
        Assert.True(dry.DryRun);
        Assert.Equal(2, dry.Created);

        var report = await Client.ImportDealsAsync(records);
        Assert.False(report.DryRun);
        Assert.Equal((3, 2, 1, 2), (report.Rows, report.Created, report.Rejected, report.ProductsCreated));
        var rejection = Assert.Single(report.Rejections);
        Assert.Equal((3L, "target"), (rejection.Line, rejection.Field));

        var again = await Client.ImportDealsAsync(records);
        Assert.Equal(2, again.Unchanged);

        var page = await Client.ListAcquisitionsAsync(q: buyer, sort: "announcedOn");
        Assert.Equal(["2016-04", "2017"], page.Items.Select(a => a.AnnouncedOn));
        Assert.Equal(2500000.5m, page.Items.First().Price.Amount);
        Assert.Equal(2, page.Items.First().Products.Count);
        Assert.Null(page.Items.Last().Price);
        Assert.Equal(AcquisitionResponseStatus.Pending, page.Items.Last().Status);
    }

    [Fact]
    public async Task Generated_client_surfaces_problems_as_typed_exceptions()
    {
        var conflict = await Assert.ThrowsAsync<ApiException<ProblemDetails>>(() =>
            Client.CreateCompanyAsync(new CompanyRequest { Name = "Red Hat" }));
        Assert.Equal(409, conflict.StatusCode);
        Assert.Equal("/problems/conflict", conflict.Result.Type);

        var invalid = await Assert.ThrowsAsync<ApiException<HttpValidationProblemDetails>>(() =>
            Client.CreateCompanyAsync(new CompanyRequest { Name = "" }));
        Assert.Equal(400, invalid.StatusCode);
        Assert.Contains("name", invalid.Result.Errors.Keys);
    }
}
