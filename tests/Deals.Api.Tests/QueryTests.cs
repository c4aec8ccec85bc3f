using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Acquisitions;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>The sample deals plus a crafted set covering every precision, currency, status and price case.</summary>
public sealed class QueryFixture : ApiFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        // 12 companies q1..q12 (q1 a busy buyer) and 60 deals among them, deterministic.
        await ExecuteAsync("""
            INSERT INTO companies (slug, name, country)
            SELECT 'q' || g, 'Query Co ' || g || CASE WHEN g = 7 THEN ' 100%_Sure\' ELSE '' END, (ARRAY['US','DE','JP'])[1 + g % 3]
            FROM generate_series(1, 12) g;
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, status, price_amount, price_currency, type)
            SELECT b.id, t.id,
                   CASE g % 3 WHEN 0 THEN date_trunc('year', d)::date WHEN 1 THEN date_trunc('month', d)::date ELSE d END,
                   (ARRAY['year', 'month', 'day'])[1 + g % 3]::date_precision,
                   (ARRAY['completed', 'completed', 'announced', 'pending', 'terminated'])[1 + g % 5],
                   CASE WHEN g % 4 = 0 THEN NULL ELSE g * 1000000 + 0.5 END,
                   CASE WHEN g % 4 = 0 THEN NULL ELSE (ARRAY['USD', 'EUR', 'JPY'])[1 + g % 3] END,
                   (ARRAY['acquisition', 'merger', 'acquihire', 'asset-purchase', 'majority-stake'])[1 + g % 5]
            FROM generate_series(1, 60) g
            CROSS JOIN LATERAL (SELECT date '2000-01-01' + g * 97 AS d) dates
            JOIN companies b ON b.slug = 'q' || CASE WHEN g % 2 = 0 THEN 1 ELSE 1 + g % 12 END
            JOIN companies t ON t.slug = 'q' || (1 + (g * 5 + 3) % 12)
            WHERE b.id <> t.id;
            INSERT INTO acquisition_products (acquisition_id, product_id)
            SELECT a.id, 1 FROM acquisitions a JOIN companies b ON b.id = a.buyer_id WHERE b.slug = 'q3';
            ANALYZE;
            """);
    }
}

public sealed class QueryTests(QueryFixture api) : IClassFixture<QueryFixture>
{
    private HttpClient Client => api.Client;

    public static TheoryData<string, string> Filters => new()
    {
        { "buyer=q1", "a.buyer_id = (SELECT id FROM companies WHERE slug = 'q1')" },
        { "buyer=red-hat", "a.buyer_id = 1" },
        { "target=q5", "a.target_id = (SELECT id FROM companies WHERE slug = 'q5')" },
        { "product=1", "a.id IN (SELECT acquisition_id FROM acquisition_products WHERE product_id = 1)" },
        { "status=announced", "a.status = 'announced'" },
        { "type=asset-purchase", "a.type = 'asset-purchase'" },
        { "currency=eur", "a.price_currency = 'EUR'" },
        { "announcedFrom=2008-09", "a.announced_until >= date '2008-09-01'" },
        { "announcedTo=2008", "a.announced_on <= date '2008-12-31'" },
        { "announcedFrom=2005&announcedTo=2005-06", "a.announced_until >= date '2005-01-01' AND a.announced_on <= date '2005-06-30'" },
        { "minPrice=30000000", "a.price_amount >= 30000000" },
        { "maxPrice=20000000.5", "a.price_amount <= 20000000.5" },
        { "disclosed=true", "a.price_amount IS NOT NULL" },
        { "disclosed=false", "a.price_amount IS NULL" },
        { "q=query%20co%201", "(b.name ILIKE '%query co 1%' OR t.name ILIKE '%query co 1%')" },
        { "q=100%25_sure%5C", "(b.name LIKE '%100\\%\\_Sure\\\\%' OR t.name LIKE '%100\\%\\_Sure\\\\%')" },
        { "q=hat", "(b.name ILIKE '%hat%' OR t.name ILIKE '%hat%')" },
        { "updatedSince=2000-01-01T00:00:00%2B02:00", "a.updated_at >= timestamptz '2000-01-01T00:00:00+02:00'" },
        { "buyer=q1&status=completed&currency=USD&minPrice=1000000&announcedFrom=2001",
          "a.buyer_id = (SELECT id FROM companies WHERE slug = 'q1') AND a.status = 'completed' AND a.price_currency = 'USD' AND a.price_amount >= 1000000 AND a.announced_until >= date '2001-01-01'" },
        { "target=q5&disclosed=false&type=merger", "a.target_id = (SELECT id FROM companies WHERE slug = 'q5') AND a.price_amount IS NULL AND a.type = 'merger'" },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Each_filter_alone_and_combined_returns_exactly_the_matching_deals(string filter, string where)
    {
        var expected = await api.QueryAsync<long>($"""
            SELECT a.id FROM acquisitions a JOIN companies b ON b.id = a.buyer_id JOIN companies t ON t.id = a.target_id
            WHERE {where} ORDER BY a.id
            """);

        var actual = await WalkAsync($"/v1/acquisitions?{filter}", 7);

        Assert.Equal(expected, actual.Select(a => (long)a["id"]!));
        // Each deal carries its own buyer and target (a list of one company's deals looks that company up once).
        var slugs = (await api.QueryAsync<(long Id, string Slug)>("SELECT id, slug FROM companies")).ToDictionary(c => c.Id, c => c.Slug);
        Assert.All(actual, a =>
        {
            Assert.Equal((long)a["buyerId"]!, (long)a["buyer"]!["id"]!);
            Assert.Equal(slugs[(long)a["buyerId"]!], (string?)a["buyer"]!["slug"]);
            Assert.Equal((long)a["targetId"]!, (long)a["target"]!["id"]!);
            Assert.Equal(slugs[(long)a["targetId"]!], (string?)a["target"]!["slug"]);
        });
    }

    [Fact]
    public async Task A_partial_date_range_matches_deals_by_overlap()
    {
        await api.ExecuteAsync("""
            INSERT INTO companies (slug, name) VALUES ('overlap-buyer', 'Overlap Buyer'), ('o1', 'O1'), ('o2', 'O2'), ('o3', 'O3'), ('o4', 'O4'), ('o5', 'O5');
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision)
            SELECT (SELECT id FROM companies WHERE slug = 'overlap-buyer'), t.id, v.d::date, v.p::date_precision
            FROM (VALUES ('o1', '1990-01-01', 'year'), ('o2', '1990-09-01', 'month'), ('o3', '1990-09-04', 'day'),
                         ('o4', '1990-10-01', 'day'), ('o5', '1989-12-31', 'day')) v (slug, d, p)
            JOIN companies t ON t.slug = v.slug;
            """);

        var september = await WalkAsync("/v1/acquisitions?buyer=overlap-buyer&announcedFrom=1990-09&announcedTo=1990-09", 10);
        Assert.Equal(["1990", "1990-09", "1990-09-04"], september.Select(a => (string)a["announcedOn"]!));

        var fromDay = await WalkAsync("/v1/acquisitions?buyer=overlap-buyer&announcedFrom=1990-09-05", 10);
        Assert.Equal(["1990", "1990-09", "1990-10-01"], fromDay.Select(a => (string)a["announcedOn"]!));

        // Sorted by date, the list reads the date index from a year before the range: a deal dated by its year still overlaps.
        var yearEnd = await WalkAsync("/v1/acquisitions?buyer=overlap-buyer&announcedFrom=1990-12-31&sort=announcedOn", 10);
        Assert.Equal(["1990"], yearEnd.Select(a => (string)a["announcedOn"]!));
        var fromDaySorted = await WalkAsync("/v1/acquisitions?buyer=overlap-buyer&announcedFrom=1990-09-05&sort=-announcedOn", 2);
        Assert.Equal(["1990-10-01", "1990-09", "1990"], fromDaySorted.Select(a => (string)a["announcedOn"]!));

        var untilYear = await WalkAsync("/v1/acquisitions?buyer=overlap-buyer&announcedTo=1989", 10);
        Assert.Equal(["1989-12-31"], untilYear.Select(a => (string)a["announcedOn"]!));
    }

    [Fact]
    public async Task A_name_that_more_companies_carry_than_can_be_listed_by_id_still_matches_exactly()
    {
        // More matching companies than AcquisitionQuery.MaxNamedCompanies: the list reads them in a subquery instead.
        await api.ExecuteAsync($"""
            INSERT INTO companies (slug, name) SELECT 'crowd-' || g, 'Crowd ' || g FROM generate_series(1, {AcquisitionQuery.MaxNamedCompanies + 1}) g;
            INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision)
            SELECT b.id, t.id, date '1991-01-01' + g, 'day'
            FROM generate_series(1, 3) g
            JOIN companies b ON b.slug = 'crowd-' || (g * 300)
            JOIN companies t ON t.slug = 'q' || g;
            """);
        var expected = await api.QueryAsync<long>("""
            SELECT a.id FROM acquisitions a JOIN companies b ON b.id = a.buyer_id JOIN companies t ON t.id = a.target_id
            WHERE b.name ILIKE '%crowd%' OR t.name ILIKE '%crowd%' ORDER BY a.announced_on DESC, a.id DESC
            """);

        var actual = await WalkAsync("/v1/acquisitions?q=CROWD&sort=-announcedOn", 2);

        Assert.Equal(3, expected.Count);
        Assert.Equal(expected, actual.Select(a => (long)a["id"]!));
    }

    [Fact]
    public async Task A_price_range_never_matches_an_undisclosed_price()
    {
        var all = await WalkAsync("/v1/acquisitions?minPrice=0", 50);
        Assert.NotEmpty(all);
        Assert.All(all, a => Assert.NotNull(a["price"]));
        var undisclosed = await api.QueryAsync<long>("SELECT count(*) FROM acquisitions WHERE price_amount IS NULL");
        Assert.True(undisclosed.Single() > 0);
        Assert.Equal((await api.QueryAsync<long>("SELECT count(*) FROM acquisitions WHERE price_amount IS NOT NULL")).Single(), all.Count);
        Assert.Empty(await WalkAsync("/v1/acquisitions?maxPrice=0", 50));
    }

    [Fact]
    public async Task A_company_given_by_id_with_no_matching_deals_is_an_empty_page_not_an_error()
    {
        var redHat = (await api.QueryAsync<long>("SELECT id FROM companies WHERE slug = 'red-hat'")).Single();
        var page = await Client.GetAsync($"/v1/acquisitions?buyer={redHat}&announcedTo=1900").ShouldBe(HttpStatusCode.OK);
        Assert.Empty(page["items"]!.AsArray());
        Assert.NotEmpty(await WalkAsync($"/v1/acquisitions?buyer={redHat}", 50));
    }

    public static TheoryData<string, string> Sorts => new()
    {
        { "announcedOn", "a.announced_on, a.id" },
        { "-announcedOn", "a.announced_on DESC, a.id DESC" },
        { "price", "coalesce(a.price_amount, -1), a.id" },
        { "-price", "coalesce(a.price_amount, -1) DESC, a.id DESC" },
        { "-updatedAt", "a.updated_at DESC, a.id DESC" },
        { "createdAt", "a.created_at, a.id" },
        { "-id", "a.id DESC" },
        { "-announcedOn,price", "a.announced_on DESC, coalesce(a.price_amount, -1), a.id" },
        { "price,-announcedOn", "coalesce(a.price_amount, -1), a.announced_on DESC, a.id DESC" },
        { "price,announcedOn", "coalesce(a.price_amount, -1), a.announced_on, a.id" },
        { "-price,-announcedOn", "coalesce(a.price_amount, -1) DESC, a.announced_on DESC, a.id DESC" },
        { "price,-createdAt,announcedOn", "coalesce(a.price_amount, -1), a.created_at DESC, a.announced_on, a.id" },
    };

    // A page inside a tie of the leading key is read in two parts, the tie's rest and what follows it (AcquisitionQuery.PageSql);
    // filters that leave one side of the undisclosed tie change the parts. Pages of one and two deals cross each tie's
    // boundary at every position.
    [Theory]
    [InlineData("sort=price,announcedOn", "true", "coalesce(a.price_amount, -1), a.announced_on, a.id")]
    [InlineData("sort=price,-announcedOn", "true", "coalesce(a.price_amount, -1), a.announced_on DESC, a.id DESC")]
    [InlineData("sort=-price,announcedOn", "true", "coalesce(a.price_amount, -1) DESC, a.announced_on, a.id")]
    [InlineData("sort=-announcedOn,price", "true", "a.announced_on DESC, coalesce(a.price_amount, -1), a.id")]
    [InlineData("sort=price,-createdAt,announcedOn", "true", "coalesce(a.price_amount, -1), a.created_at DESC, a.announced_on, a.id")]
    [InlineData("currency=USD&sort=price,-announcedOn", "a.price_currency = 'USD'", "a.price_amount, a.announced_on DESC, a.id DESC")]
    [InlineData("disclosed=true&sort=-price,announcedOn", "a.price_amount IS NOT NULL", "a.price_amount DESC, a.announced_on, a.id")]
    [InlineData("disclosed=false&sort=price,-announcedOn", "a.price_amount IS NULL", "a.announced_on DESC, a.id DESC")]
    [InlineData("disclosed=false&sort=-price,announcedOn", "a.price_amount IS NULL", "a.announced_on, a.id")]
    [InlineData("announcedFrom=2005&sort=price,announcedOn", "a.announced_until >= date '2005-01-01'", "coalesce(a.price_amount, -1), a.announced_on, a.id")]
    public async Task Pages_inside_ties_of_the_leading_key_walk_every_deal_once_in_order(string query, string where, string orderBy)
    {
        var expected = await api.QueryAsync<long>($"SELECT a.id FROM acquisitions a WHERE {where} ORDER BY {orderBy}");
        Assert.True(expected.Count > 3);

        foreach (var limit in new[] { 1, 2 })
        {
            var actual = await WalkAsync($"/v1/acquisitions?{query}", limit);
            Assert.Equal(expected, actual.Select(a => (long)a["id"]!));
        }
    }

    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task Every_sort_walks_every_deal_once_in_order(string sort, string orderBy)
    {
        var expected = await api.QueryAsync<long>($"SELECT a.id FROM acquisitions a ORDER BY {orderBy}");

        var actual = await WalkAsync($"/v1/acquisitions?sort={sort}", 6);

        Assert.Equal(expected, actual.Select(a => (long)a["id"]!));
    }

    [Theory]
    [InlineData("currency=USD&sort=price", "a.price_currency = 'USD'", "coalesce(a.price_amount, -1), a.id")]
    [InlineData("minPrice=30000000&maxPrice=200000000&sort=-price", "a.price_amount BETWEEN 30000000 AND 200000000", "a.price_amount DESC, a.id DESC")]
    [InlineData("disclosed=true&sort=price", "a.price_amount IS NOT NULL", "a.price_amount, a.id")]
    [InlineData("disclosed=false&sort=-price", "a.price_amount IS NULL", "a.id DESC")]
    [InlineData("announcedFrom=2008-09&sort=announcedOn", "a.announced_until >= date '2008-09-01'", "a.announced_on, a.id")]
    [InlineData("announcedFrom=2005&announcedTo=2008-06&sort=-announcedOn,price",
        "a.announced_until >= date '2005-01-01' AND a.announced_on <= date '2008-06-30'", "a.announced_on DESC, coalesce(a.price_amount, -1), a.id")]
    public async Task A_filter_on_the_sort_key_walks_exactly_the_matching_deals_in_order(string query, string where, string orderBy)
    {
        var expected = await api.QueryAsync<long>($"SELECT a.id FROM acquisitions a WHERE {where} ORDER BY {orderBy}");
        Assert.NotEmpty(expected);

        var actual = await WalkAsync($"/v1/acquisitions?{query}", 4);

        Assert.Equal(expected, actual.Select(a => (long)a["id"]!));
    }

    [Theory]
    [InlineData("sort=name", "sort")]
    [InlineData("sort=announcedOn,announcedOn", "sort")]
    [InlineData("sort=-", "sort")]
    [InlineData("status=done", "status")]
    [InlineData("type=purchase", "type")]
    [InlineData("currency=XYZ", "currency")]
    [InlineData("announcedFrom=2008-13", "announcedFrom")]
    [InlineData("announcedFrom=2010&announcedTo=2009", "announcedTo")]
    [InlineData("minPrice=-1", "minPrice")]
    [InlineData("minPrice=abc", "minPrice")]
    [InlineData("buyer=no-such-company", "buyer")]
    [InlineData("buyer=987654321", "buyer")]
    [InlineData("buyer=red-hat&target=987654321", "target")]
    [InlineData("disclosed=maybe", "disclosed")]
    [InlineData("minPrice=200&maxPrice=100", "maxPrice")]
    [InlineData("disclosed=false&currency=GBP", "disclosed")]
    [InlineData("disclosed=false&minPrice=1000000", "disclosed")]
    [InlineData("maxPrice=5000000&disclosed=false", "disclosed")]
    [InlineData("updatedSince=yesterday", "updatedSince")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=bm9wZQ", "cursor")]
    public async Task Invalid_query_parameters_are_validation_problems_naming_the_parameter(string query, string field)
    {
        var problem = await Client.GetAsync($"/v1/acquisitions?{query}").ShouldBeValidationProblem(field);
        if (query.StartsWith("sort=name", StringComparison.Ordinal))
        {
            Assert.Contains("announcedOn", problem["errors"]!["sort"]![0]!.ToString());
        }
    }

    [Fact]
    public async Task A_cursor_is_refused_with_another_sort_order()
    {
        var page = await Client.GetAsync("/v1/acquisitions?sort=-announcedOn&limit=2").ShouldBe(HttpStatusCode.OK);
        var cursor = (string)page["nextCursor"]!;

        await Client.GetAsync($"/v1/acquisitions?sort=price&limit=2&cursor={cursor}").ShouldBeValidationProblem("cursor");
        await Client.GetAsync($"/v1/acquisitions?sort=-announcedOn&limit=2&cursor={cursor}").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Walking_all_pages_while_deals_are_added_returns_each_deal_exactly_once()
    {
        var before = (await api.QueryAsync<long>("SELECT id FROM acquisitions")).ToHashSet();
        await api.ExecuteAsync("INSERT INTO companies (slug, name) SELECT 'walk-' || g, 'Walk ' || g FROM generate_series(1, 40) g");
        using var stop = new CancellationTokenSource();
        var inserter = Task.Run(async () =>
        {
            for (var i = 1; i < 40 && !stop.IsCancellationRequested; i++)
            {
                await api.ExecuteAsync($"""
                    INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, price_amount, price_currency)
                    SELECT b.id, t.id, date '1995-01-01' + {i * 200}, 'day', {i * 1000}, 'USD'
                    FROM companies b, companies t WHERE b.slug = 'walk-{i}' AND t.slug = 'walk-{i + 1}'
                    """);
                await Task.Delay(5);
            }
        });

        var seen = await WalkAsync("/v1/acquisitions?sort=-announcedOn", 3);
        await stop.CancelAsync();
        await inserter;

        var ids = seen.Select(a => (long)a["id"]!).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Superset(before, ids.ToHashSet());
    }

    [Theory]
    [InlineData("redhat")]
    [InlineData("red hatt")]
    [InlineData("Red Hat, Inc")]
    [InlineData("rEd-HaT")]
    public async Task Company_search_tolerates_typos_and_finds_red_hat_first(string q)
    {
        var page = await Client.GetAsync($"/v1/companies?q={Uri.EscapeDataString(q)}").ShouldBe(HttpStatusCode.OK);

        Assert.Equal("red-hat", (string?)page["items"]![0]!["slug"]);
    }

    [Fact]
    public async Task Company_search_covers_aliases_ranks_by_similarity_and_pages()
    {
        var byAlias = await Client.GetAsync("/v1/companies?q=International%20Business%20Machines").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("ibm", (string?)byAlias["items"]![0]!["slug"]);

        var all = await WalkAsync("/v1/companies?q=query%20co", 4);
        Assert.Equal(12, all.Count(c => ((string)c["slug"]!).StartsWith('q')));
        Assert.Equal(all.Count, all.Select(c => (long)c["id"]!).Distinct().Count());

        var german = await WalkAsync("/v1/companies?q=query%20co&country=DEU", 4);
        Assert.NotEmpty(german);
        Assert.All(german, c => Assert.Equal("DE", (string?)c["country"]));
        await Client.GetAsync("/v1/companies?country=XX").ShouldBeValidationProblem("country");
    }

    [Fact]
    public async Task Product_search_tolerates_typos()
    {
        var page = await Client.GetAsync("/v1/products?q=kvmm").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("kvm", (string?)page["items"]![0]!["slug"]);
        var solid = await Client.GetAsync("/v1/products?q=solid%20ice").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("solidice", (string?)solid["items"]![0]!["slug"]);
    }

    // A text of one or two letters or digits is searched by substring alone (Search.ResemblanceImpliesSubstring): the
    // pages are those of resemblance or substring, as the database ranks them.
    [Theory]
    [InlineData("companies", "an")]
    [InlineData("companies", "q")]
    [InlineData("companies", "Co")]
    [InlineData("companies", "7")]
    [InlineData("companies", "ib")]
    [InlineData("products", "k")]
    [InlineData("products", "vm")]
    public async Task A_search_of_one_or_two_letters_finds_every_name_or_alias_that_resembles_or_contains_them(string list, string q)
    {
        var aliases = list == "companies"
            ? "UNION ALL SELECT similarity(lower(a.alias), @Q) FROM company_aliases a WHERE a.company_id = x.id AND (lower(a.alias) % @Q OR lower(a.alias) LIKE @Like)"
            : "";
        var expected = await api.QueryAsync<long>($"""
            SELECT x.id FROM {list} x
            CROSS JOIN LATERAL (SELECT max(s) AS score FROM (
                SELECT similarity(lower(x.name), @Q) AS s WHERE lower(x.name) % @Q OR lower(x.name) LIKE @Like {aliases}) m) r
            WHERE r.score IS NOT NULL
            ORDER BY r.score DESC, x.id
            """, new { Q = q.ToLowerInvariant(), Like = $"%{q.ToLowerInvariant()}%" });
        Assert.NotEmpty(expected);

        var actual = await WalkAsync($"/v1/{list}?q={q}", 3);

        Assert.Equal(expected, actual.Select(c => (long)c["id"]!));
    }

    [Theory]
    [InlineData("country=IL", "IL")]
    [InlineData("country=usa", "US")]
    [InlineData("country=SE&q=mysql", "SE")]
    [InlineData("country=IL&q=kvmm", "IL")]
    public async Task Products_of_a_country_are_those_its_companies_made(string query, string alpha2)
    {
        var expected = await api.QueryAsync<long>($"""
            SELECT p.id FROM products p JOIN companies m ON m.id = p.maker_id
            WHERE m.country = '{alpha2}' {(query.Split("q=") is [_, var q] ? $"AND (lower(p.name) % '{q}' OR lower(p.name) LIKE '%{q}%')" : "")}
            ORDER BY p.id
            """);
        Assert.NotEmpty(expected);

        var actual = await WalkAsync($"/v1/products?{query}", 2);

        Assert.Equal(expected, actual.Select(p => (long)p["id"]!).Order());
    }

    [Theory]
    [InlineData("/v1/companies?sort=name")]
    [InlineData("/v1/companies?sort=-id")]
    [InlineData("/v1/companies?q=red&sort=id")]
    [InlineData("/v1/products?sort=name")]
    [InlineData("/v1/products?q=kvm&sort=id")]
    [InlineData("/v1/companies/red-hat/acquisitions?sort=-announcedOn")]
    [InlineData("/v1/companies/red-hat/acquired-by?sort=announcedOn")]
    [InlineData("/v1/companies/red-hat/products?sort=name")]
    public async Task A_sort_a_list_does_not_offer_is_a_validation_problem_not_ignored(string url)
    {
        var problem = await Client.GetAsync(url).ShouldBeValidationProblem("sort");
        Assert.Contains("'id'", (string)problem["errors"]!["sort"]![0]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/companies?sort=id")]
    [InlineData("/v1/products?sort=id")]
    [InlineData("/v1/companies/red-hat/acquisitions?sort=id")]
    public async Task Sorting_a_list_by_id_is_its_own_order(string url)
    {
        var sorted = await Client.GetAsync(url).ShouldBe(HttpStatusCode.OK);
        var plain = await Client.GetAsync(url.Replace("sort=id", "limit=50", StringComparison.Ordinal)).ShouldBe(HttpStatusCode.OK);
        Assert.Equal(plain["items"]!.ToJsonString(), sorted["items"]!.ToJsonString());
    }

    [Fact]
    public async Task Products_of_an_unknown_country_are_a_validation_problem()
    {
        await Client.GetAsync("/v1/products?country=XX").ShouldBeValidationProblem("country");
        await Client.GetAsync("/v1/products?country=XX&q=kvm").ShouldBeValidationProblem("country");
        var none = await Client.GetAsync("/v1/products?country=JP").ShouldBe(HttpStatusCode.OK);
        Assert.Empty(none["items"]!.AsArray());
    }

    private async Task<List<JsonObject>> WalkAsync(string url, int limit)
    {
        var items = new List<JsonObject>();
        var separator = url.Contains('?', StringComparison.Ordinal) ? "&" : "?";
        string? next = $"{url}{separator}limit={limit}";
        for (var pages = 0; next is not null; pages++)
        {
            Assert.True(pages < 1000, "too many pages");
            var page = await Client.GetAsync(next).ShouldBe(HttpStatusCode.OK);
            items.AddRange(page["items"]!.AsArray().Select(i => i!.AsObject()));
            var cursor = (string?)page["nextCursor"];
            next = cursor is null ? null : $"{url}{separator}limit={limit}&cursor={Uri.EscapeDataString(cursor)}";
        }

        return items;
    }
}
