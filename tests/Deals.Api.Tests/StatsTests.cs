using System.Net;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>Statistics checked against counts and sums computed independently with SQL over the tables.</summary>
public sealed class StatsTests(QueryFixture api) : IClassFixture<QueryFixture>
{
    [Theory]
    [InlineData("", "true")]
    [InlineData("currency=USD", "a.price_currency = 'USD'")]
    [InlineData("status=completed&announcedFrom=2005", "a.status = 'completed' AND a.announced_until >= date '2005-01-01'")]
    public async Task Year_stats_count_deals_and_sum_spend_per_currency_with_undisclosed_apart(string filter, string where)
    {
        var expected = await api.QueryAsync<(int Year, long Deals, long Undisclosed)>($"""
            SELECT extract(year FROM a.announced_on)::int, count(*), count(*) FILTER (WHERE a.price_amount IS NULL)
            FROM acquisitions a WHERE {where} GROUP BY 1 ORDER BY 1
            """);
        var spend = await api.QueryAsync<(int Year, string Currency, decimal Amount, long Deals)>($"""
            SELECT extract(year FROM a.announced_on)::int, a.price_currency, sum(a.price_amount), count(*)
            FROM acquisitions a WHERE {where} AND a.price_amount IS NOT NULL GROUP BY 1, 2
            """);

        var years = (await api.Client.GetAsync($"/v1/stats/years?{filter}").ShouldBe(HttpStatusCode.OK))["value"]!.AsArray();

        Assert.Equal(expected, years.Select(y => ((int)y!["year"]!, (long)y["deals"]!, (long)y["undisclosed"]!)));
        Assert.Equal(
            spend.OrderBy(s => s.Year).ThenBy(s => s.Currency),
            years.SelectMany(y => y!["spend"]!.AsArray().Select(s => ((int)y["year"]!, (string)s!["currency"]!, (decimal)s["amount"]!, (long)s["deals"]!)))
                .OrderBy(s => s.Item1).ThenBy(s => s.Item2));
    }

    [Fact]
    public async Task Acquirer_stats_rank_buyers_by_deals_and_never_count_undisclosed_as_zero_spend()
    {
        var expected = await api.QueryAsync<(long Buyer, long Deals, long Undisclosed)>("""
            SELECT a.buyer_id, count(*), count(*) FILTER (WHERE a.price_amount IS NULL)
            FROM acquisitions a GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5
            """);

        var top = (await api.Client.GetAsync("/v1/stats/acquirers?limit=5").ShouldBe(HttpStatusCode.OK))["value"]!.AsArray();

        Assert.Equal(expected, top.Select(b => ((long)b!["buyer"]!["id"]!, (long)b["deals"]!, (long)b["undisclosed"]!)));
        var busiest = top[0]!;
        Assert.Equal("q1", (string?)busiest["buyer"]!["slug"]);
        var disclosed = busiest["spend"]!.AsArray().Sum(s => (long)s!["deals"]!);
        Assert.Equal((long)busiest["deals"]! - (long)busiest["undisclosed"]!, disclosed);
        Assert.True((long)busiest["undisclosed"]! > 0);
        Assert.All(busiest["spend"]!.AsArray(), s => Assert.True((decimal)s!["amount"]! > 0));
    }

    [Fact]
    public async Task Stats_take_the_list_filters_and_refuse_bad_ones()
    {
        var redHat = (await api.Client.GetAsync("/v1/stats/acquirers?buyer=red-hat").ShouldBe(HttpStatusCode.OK))["value"]!.AsArray();
        Assert.Equal("red-hat", (string?)redHat.Single()!["buyer"]!["slug"]);
        Assert.Equal(457000000m, (decimal)redHat.Single()!["spend"]![0]!["amount"]!);

        await api.Client.GetAsync("/v1/stats/years?currency=ZZZ").ShouldBeValidationProblem("currency");
        await api.Client.GetAsync("/v1/stats/acquirers?limit=0").ShouldBeValidationProblem("limit");
    }
}
