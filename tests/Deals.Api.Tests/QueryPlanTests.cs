using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Products;
using Deals.Api.Tests.Infrastructure;
using Deals.Api.Tools;
using Npgsql;

namespace Deals.Api.Tests;

/// <summary>
/// A generated database with the skew of real data (100,000 deals among 20,000 companies; the
/// benchmark uses the same generator at 1,000,000), on which every list query is planned.
/// 100,000 keeps this inside a test run (about 10 s to generate) while making a sequential scan
/// of the big tables clearly the costlier plan for any query that is not index-served.
/// </summary>
public sealed class GeneratedFixture : IAsyncLifetime
{
    public const int Deals = 100_000;

    public string ConnectionString { get; private set; } = "";

    public ReferenceData Reference { get; } = new();

    public async Task InitializeAsync()
    {
        ConnectionString = await TestDatabase.CreateAsync();
        await Generator.GenerateAsync(ConnectionString, Generator.Size.For(Deals));
        await using var source = NpgsqlDataSource.Create(ConnectionString);
        await Reference.LoadAsync(source, CancellationToken.None);
    }

    public Task DisposeAsync() => TestDatabase.DropAsync(ConnectionString);
}

public sealed class QueryPlanTests(GeneratedFixture data) : IClassFixture<GeneratedFixture>
{
    // The tables that grow with the data. (Aliases stay few: a scan of them can be the cheaper plan.)
    private static readonly string[] BigTables = ["acquisitions", "companies", "products", "acquisition_products"];

    public static TheoryData<string> Sorts => [.. new[] { "id", "-id", "announcedOn", "-announcedOn", "price", "-price", "updatedAt", "-updatedAt", "createdAt", "-announcedOn,price" }];

    [Theory]
    [MemberData(nameof(Sorts))]
    public async Task Every_filter_with_every_sort_is_served_by_an_index_on_first_and_deep_pages(string sort)
    {
        var busyBuyer = await BusiestBuyerAsync();
        var smallBuyer = await ScalarAsync<long>("SELECT buyer_id FROM acquisitions GROUP BY 1 ORDER BY count(*), 1 LIMIT 1");
        var target = await ScalarAsync<long>("SELECT target_id FROM acquisitions ORDER BY id LIMIT 1 OFFSET 500");
        var product = await ScalarAsync<long>("SELECT product_id FROM acquisition_products ORDER BY acquisition_id LIMIT 1");
        var name = await ScalarAsync<string>($"SELECT name FROM companies WHERE id = {busyBuyer}");
        var filters = new (string Name, AcquisitionFilters Filters, long? Buyer, long? Target)[]
        {
            ("none", new(), null, null),
            ("busy buyer", new(), busyBuyer, null),
            ("small buyer", new(), smallBuyer, null),
            ("target", new(), null, target),
            ("product", new() { Product = product }, null, null),
            ("status", new() { Status = "completed" }, null, null),
            ("rare status", new() { Status = "terminated" }, null, null),
            ("type", new() { Type = "merger" }, null, null),
            ("currency", new() { Currency = "USD" }, null, null),
            ("rare currency", new() { Currency = "KRW" }, null, null),
            ("date range", new() { AnnouncedFrom = "2001", AnnouncedTo = "2002-06" }, null, null),
            ("price range", new() { MinPrice = 1_000_000m, MaxPrice = 50_000_000m }, null, null),
            ("disclosed", new() { Disclosed = true }, null, null),
            ("undisclosed", new() { Disclosed = false }, null, null),
            ("name", new() { Q = name[..^2] }, null, null),
            ("updated since", new() { UpdatedSince = DateTimeOffset.UtcNow.AddDays(-1) }, null, null),
            ("combined", new() { AnnouncedFrom = "1995", AnnouncedTo = "2005", MinPrice = 1_000_000m, Currency = "EUR", Status = "completed" }, null, null),
            ("buyer and dates", new() { AnnouncedFrom = "1990" }, busyBuyer, null),
        };

        var failures = new List<string>();
        foreach (var (label, filter, buyer, tgt) in filters)
        {
            var first = AcquisitionQuery.From(filter, buyer, tgt, data.Reference).OrderBy(sort);
            var firstPlan = await ListPlanAsync(first);
            failures.AddRange(SeqScans(firstPlan).Select(t => $"{label}, sort {sort}, first page: Seq Scan on {t}"));
            failures.AddRange(CompanyJoinsBeyondThePage(firstPlan, 51).Select(rows => $"{label}, sort {sort}: companies joined to {rows} deals, not the page"));

            // Page 1,000 of 50: continue after the 50,000th row (or the last, when fewer match).
            var keys = await DeepKeysAsync(first, sort);
            if (keys is not null)
            {
                var deep = AcquisitionQuery.From(filter, buyer, tgt, data.Reference).OrderBy(sort).After(AcquisitionQuery.EncodeCursor(first.SortText, keys));
                var deepPlan = await ListPlanAsync(deep);
                failures.AddRange(SeqScans(deepPlan).Select(t => $"{label}, sort {sort}, deep page: Seq Scan on {t}"));
                failures.AddRange(CompanyJoinsBeyondThePage(deepPlan, 51).Select(rows => $"{label}, sort {sort}, deep page: companies joined to {rows} deals"));
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_currency_filter_is_a_key_of_the_currency_index_not_a_cast_column()
    {
        // A text parameter against the char(3) column makes PostgreSQL compare price_currency::text, which no index serves.
        var query = AcquisitionQuery.From(new() { Currency = "KRW", MinPrice = 1_000_000m, MaxPrice = 100_000_000m }, null, null, data.Reference).OrderBy("price");
        var plan = (await ListPlanAsync(query)).ToJsonString();

        Assert.DoesNotContain("(price_currency)::text", plan);
        Assert.Contains("\"Index Cond\":\"((price_currency = ", plan);
    }

    // A filter on the leading sort key, or one implying a range of it (a currency leaves only disclosed prices).
    private static readonly Dictionary<string, AcquisitionFilters> KeyFilters = new()
    {
        ["announcedFrom=2010"] = new() { AnnouncedFrom = "2010" },
        ["currency=USD"] = new() { Currency = "USD" },
        ["currency=KRW"] = new() { Currency = "KRW" },
        ["minPrice=1000000&maxPrice=50000000"] = new() { MinPrice = 1_000_000m, MaxPrice = 50_000_000m },
        ["disclosed=true"] = new() { Disclosed = true },
        ["disclosed=false"] = new() { Disclosed = false },
    };

    [Theory]
    [InlineData("announcedFrom=2010", "announcedOn")]
    [InlineData("currency=USD", "price")]
    [InlineData("currency=KRW", "price")]
    [InlineData("minPrice=1000000&maxPrice=50000000", "price")]
    [InlineData("minPrice=1000000&maxPrice=50000000", "-price")]
    [InlineData("disclosed=true", "price")]
    [InlineData("disclosed=false", "-price")]
    public async Task A_filter_on_the_sort_key_is_where_its_index_starts_reading_not_a_filter_on_every_row(string filter, string sort)
    {
        // Without the bound in the sort key's own terms, the index is read from its first entry (the oldest deal,
        // the undisclosed prices) and most of the table is filtered out before the first match.
        var query = AcquisitionQuery.From(KeyFilters[filter], null, null, data.Reference).OrderBy(sort);
        var plan = await ListPlanAsync(query, analyze: true);

        var removed = Plans.Nodes(plan).Where(n => (string?)n["Relation Name"] == "acquisitions").Sum(n => (long?)n["Rows Removed by Filter"] ?? 0);
        Assert.True(removed < GeneratedFixture.Deals / 10, $"{filter}&sort={sort} filtered out {removed} deals:\n{plan}");
    }

    [Theory]
    [InlineData("id")]
    [InlineData("-announcedOn")]
    [InlineData("-price")]
    public async Task A_name_few_companies_carry_is_read_through_their_deals_not_by_walking_the_sort(string sort)
    {
        var text = await ScalarAsync<string>("SELECT lower(name) FROM companies ORDER BY id LIMIT 1 OFFSET 700");
        await using var connection = new NpgsqlConnection(data.ConnectionString);
        var named = (await connection.QueryAsync<long>(CompanyStore.IdsNamedLikeSql,
            new { Like = Search.ContainsPattern(text), Take = AcquisitionQuery.MaxNamedCompanies + 1 })).ToArray();
        var query = AcquisitionQuery.From(new() { Q = text }, null, null, data.Reference, named).OrderBy(sort);
        var plan = await ListPlanAsync(query, analyze: true);

        var removed = Plans.Nodes(plan).Where(n => (string?)n["Relation Name"] == "acquisitions").Sum(n => (long?)n["Rows Removed by Filter"] ?? 0);
        Assert.True(removed < GeneratedFixture.Deals / 10, $"q={text}&sort={sort} filtered out {removed} deals:\n{plan}");
    }

    [Fact]
    public async Task A_currency_list_in_id_order_checks_its_price_and_date_ranges_in_the_index()
    {
        // Walking the primary key and filtering read 8,400 deals for a page of 50 on 1M (2.7-5.7 ms instead of 0.2).
        var query = AcquisitionQuery.From(new() { Currency = "USD", MinPrice = 1_000_000m, MaxPrice = 100_000_000m, AnnouncedFrom = "2000", AnnouncedTo = "2005" },
            null, null, data.Reference);
        var plan = await ListPlanAsync(query, analyze: true);

        var deals = Plans.Nodes(plan).Where(n => (string?)n["Relation Name"] == "acquisitions").ToList();
        Assert.True(deals.Count == 1 && (string?)deals[0]["Index Name"] == "acquisitions_currency_id_idx", plan.ToJsonString());
        Assert.Equal(0, (long?)deals[0]["Rows Removed by Filter"] ?? 0);
        Assert.Contains("price_amount >=", (string?)deals[0]["Index Cond"]);
        Assert.Contains("announced_until >=", (string?)deals[0]["Index Cond"]);
    }

    [Fact]
    public async Task Stats_by_year_for_one_currency_read_only_the_currency_index()
    {
        var query = AcquisitionQuery.From(new() { Currency = "USD" }, null, null, data.Reference);
        var plan = (await PlanAsync(Deals.Api.Stats.StatsStore.YearsSql(query), query.Parameters)).ToJsonString();

        Assert.Contains("\"Node Type\":\"Index Only Scan\"", plan);
        Assert.Contains("\"Index Name\":\"acquisitions_currency_price_idx\"", plan);
    }

    [Fact]
    public async Task Each_step_of_a_chain_of_control_reads_one_entry_of_the_control_index()
    {
        // With only the target index, each step read the company's deals from the table, filtered and sorted them.
        var chained = await ScalarAsync<long>("""
            SELECT a.target_id FROM acquisitions a
            WHERE a.status = 'completed' AND EXISTS (SELECT 1 FROM acquisitions up WHERE up.target_id = a.buyer_id AND up.status = 'completed')
            ORDER BY a.id LIMIT 1
            """);
        foreach (var (sql, args) in new (string, object)[]
                 {
                     (ControlStore.ParentsByIdSql(1), new { K0 = chained, D0 = DateOnly.FromDateTime(DateTime.UtcNow) }),
                     (ControlStore.ParentsByIdSql(16), ChainKeys(k => chained + k)),
                 })
        {
            var plan = await PlanAsync(sql, args, analyze: true);
            var steps = Plans.Nodes(plan).Where(n => (string?)n["Relation Name"] == "acquisitions").ToList();
            Assert.True(steps.Count > 0 && steps.All(n => (string?)n["Node Type"] == "Index Only Scan" && (string?)n["Index Name"] == "acquisitions_control_idx"),
                plan.ToJsonString());
            Assert.True(steps.Sum(n => (long?)n["Actual Loops"] ?? 0) > 0, $"no step ran: {plan.ToJsonString()}");
            Assert.DoesNotContain(Plans.Nodes(plan), n => (string?)n["Node Type"] == "Sort"
                && n["Sort Key"]!.AsArray().Any(key => ((string?)key)!.Contains("closed_on", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task A_deep_page_costs_what_the_first_page_costs()
    {
        var first = AcquisitionQuery.From(new(), null, null, data.Reference).OrderBy("-announcedOn");
        var keys = (await DeepKeysAsync(first, "-announcedOn"))!;
        var deep = AcquisitionQuery.From(new(), null, null, data.Reference).OrderBy("-announcedOn").After(AcquisitionQuery.EncodeCursor(first.SortText, keys));

        var firstPlan = await ListPlanAsync(first, analyze: true);
        var deepPlan = await ListPlanAsync(deep, analyze: true);

        var firstBuffers = Buffers(firstPlan);
        var deepBuffers = Buffers(deepPlan);
        Assert.True(deepBuffers <= firstBuffers * 2 + 20, $"page 1,000 touched {deepBuffers} buffers, page 1 {firstBuffers}");
    }

    [Theory]
    [InlineData("price,announcedOn", null)]
    [InlineData("price,-announcedOn", null)]
    [InlineData("-price,announcedOn", null)]
    [InlineData("price,-announcedOn", "disclosed=false")]
    [InlineData("-price,announcedOn", "disclosed=true")]
    [InlineData("price,announcedOn", "minPrice=1000000&maxPrice=50000000")]
    public async Task A_page_inside_the_tie_of_undisclosed_prices_reads_about_a_page_not_the_whole_tie(string sort, string? filter)
    {
        // 70% of the deals have no price. Sorting that tie by the next key for each page read the whole of it.
        var filters = filter is null ? new AcquisitionFilters() : KeyFilters[filter];
        var first = AcquisitionQuery.From(filters, null, null, data.Reference).OrderBy(sort);
        var keys = (await DeepKeysAsync(first, sort, filter is null ? 49_999 : 4_999))!;
        Assert.Equal(filters.Disclosed != true && filters.MinPrice is null, keys[0] == "-1");
        var deep = AcquisitionQuery.From(filters, null, null, data.Reference).OrderBy(sort).After(AcquisitionQuery.EncodeCursor(first.SortText, keys));

        var pages = new List<(string, AcquisitionQuery)> { ("page 1", first), (filter is null ? "page 1,000" : "page 100", deep) };
        if (sort.StartsWith('-') && filter is null)
        {
            // Ten disclosed prices before the undisclosed tie, which comes last: the page takes 40 deals of that tie.
            var disclosed = AcquisitionQuery.From(new() { Disclosed = true }, null, null, data.Reference).OrderBy(sort);
            var count = await ScalarAsync<long>("SELECT count(*) FROM acquisitions WHERE price_amount IS NOT NULL");
            var lastKeys = (await DeepKeysAsync(disclosed, sort, (int)count - 11))!;
            pages.Add(("the last disclosed prices", AcquisitionQuery.From(new(), null, null, data.Reference).OrderBy(sort)
                .After(AcquisitionQuery.EncodeCursor(first.SortText, lastKeys))));
        }

        foreach (var (page, query) in pages)
        {
            var plan = await ListPlanAsync(query, analyze: true);
            var sorted = Plans.Nodes(plan).Where(n => ((string?)n["Node Type"])?.EndsWith("Sort", StringComparison.Ordinal) == true)
                .Sum(n => (double)n["Plans"]![0]!["Actual Rows"]! * (double)n["Plans"]![0]!["Actual Loops"]!);
            Assert.True(sorted <= 1_000 && Buffers(plan) <= 1_000, $"{sort}, {page}: sorted {sorted} rows, touched {Buffers(plan)} buffers");
        }
    }

    [Fact]
    public async Task A_page_read_in_parts_holds_the_deals_one_ordered_query_returns_after_any_cursor()
    {
        // Cursors at random deals (real ties: 70% undisclosed prices, dates of year precision, one creation time), under
        // sorts of two and three keys and filters that leave one side of the undisclosed tie or narrow the next key.
        var sorts = new[] { "price,announcedOn", "price,-announcedOn", "-price,announcedOn", "-price,-announcedOn", "announcedOn,-price",
                            "-announcedOn,price", "price,createdAt", "-price,updatedAt,announcedOn", "price,-createdAt,announcedOn", "createdAt,price" };
        var filters = new AcquisitionFilters[]
        {
            new(), new() { Disclosed = false }, new() { Disclosed = true }, new() { Currency = "EUR" }, new() { MinPrice = 1_000_000m },
            new() { Status = "completed" }, new() { AnnouncedFrom = "2005", AnnouncedTo = "2010" }, new() { Q = "an" },
        };
        var random = new Random(6);
        var anchors = (await QueryAsync<long>("SELECT id FROM acquisitions ORDER BY id")).ToArray();
        // The cheapest disclosed prices: under a descending price, the last pages before the undisclosed tie.
        var cheapest = (await QueryAsync<long>("SELECT id FROM acquisitions WHERE price_amount IS NOT NULL ORDER BY price_amount, id LIMIT 60")).ToArray();
        var keySql = new Dictionary<string, string>
        {
            ["price"] = "price_sort_key(a.price_amount)::text",
            ["announcedOn"] = "to_char(a.announced_on, 'YYYY-MM-DD')",
            ["createdAt"] = "((extract(epoch FROM a.created_at) * 10000000)::bigint + 621355968000000000)::text",
            ["updatedAt"] = "((extract(epoch FROM a.updated_at) * 10000000)::bigint + 621355968000000000)::text",
            ["id"] = "a.id::text",
        };

        var failures = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            var sort = sorts[random.Next(sorts.Length)];
            var filter = filters[random.Next(filters.Length)];
            var first = AcquisitionQuery.From(filter, null, null, data.Reference).OrderBy(sort);
            var anchor = i % 3 == 0 ? cheapest[random.Next(cheapest.Length)] : anchors[random.Next(anchors.Length)];
            var keys = (await QueryAsync<string[]>(
                $"SELECT ARRAY[{string.Join(", ", first.Sort.Select(f => keySql[f.Name]))}] FROM acquisitions a WHERE a.id = {anchor}")).Single();
            var query = AcquisitionQuery.From(filter, null, null, data.Reference).OrderBy(sort).After(AcquisitionQuery.EncodeCursor(first.SortText, keys));

            var expected = await QueryAsync<long>($"SELECT a.id FROM acquisitions a {query.Where} {query.OrderByClause} LIMIT 51", query.Parameters);
            var actual = await QueryAsync<long>($"SELECT a.id FROM ({query.PageSql(51)}) a", query.Parameters, Db.PagePlanSql);
            if (!expected.SequenceEqual(actual))
            {
                failures.Add($"sort {sort}, cursor at deal {anchor} ({string.Join(", ", keys)}), filter {System.Text.Json.JsonSerializer.Serialize(filter)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("-announcedOn")]
    [InlineData("price,announcedOn")]
    public async Task A_name_that_many_companies_carry_reads_the_companies_once_for_a_page(string sort)
    {
        // Passed as a condition (too many companies to pass by id), the name is looked up once for the whole page,
        // including a page read in two parts (a tie of the leading key and what follows it).
        var filters = new AcquisitionFilters { Q = "an" };
        var first = AcquisitionQuery.From(filters, null, null, data.Reference).OrderBy(sort);
        var keys = (await DeepKeysAsync(first, sort, 999))!;
        var next = AcquisitionQuery.From(filters, null, null, data.Reference).OrderBy(sort).After(AcquisitionQuery.EncodeCursor(first.SortText, keys));

        foreach (var query in new[] { first, next })
        {
            var plan = await ListPlanAsync(query, analyze: true);
            var lookups = Plans.Nodes(plan).Count(n => (string?)n["Relation Name"] == "companies"
                && (((string?)n["Filter"])?.Contains("~~", StringComparison.Ordinal) == true || ((string?)n["Recheck Cond"])?.Contains("~~", StringComparison.Ordinal) == true));
            Assert.True(lookups == 1, $"{sort}: the companies named were read {lookups} times: {plan.ToJsonString()}");
        }
    }

    [Fact]
    public async Task No_name_resembles_one_or_two_letters_or_digits_without_containing_them()
    {
        // What lets such a search skip resemblance, its costliest test (Search.ResemblanceImpliesSubstring), checked on
        // 3,000 generated names and aliases, the product names and some made to come close, against every such text.
        var texts = Enumerable.Range(0, 36).Select(i => i < 26 ? ((char)('a' + i)).ToString() : ((char)('0' + i - 26)).ToString()).ToList();
        texts = [.. texts, .. texts.SelectMany(a => texts.Select(b => a + b))];
        Assert.All(texts, t => Assert.True(Search.ResemblanceImpliesSubstring(t)));
        Assert.False(Search.ResemblanceImpliesSubstring("a."));
        Assert.False(Search.ResemblanceImpliesSubstring("é"));
        Assert.False(Search.ResemblanceImpliesSubstring("abc"));

        var violations = await ScalarAsync<long>($"""
            WITH names AS (
                (SELECT lower(name) AS n FROM companies ORDER BY id LIMIT 2000)
                UNION ALL (SELECT lower(alias) FROM company_aliases ORDER BY company_id LIMIT 500)
                UNION ALL (SELECT lower(name) FROM products ORDER BY id LIMIT 500)
                UNION ALL SELECT unnest(ARRAY['a', 'an', 'a n', 'a-n', 'n a', 'a.b', 'x an y', 'a a a', 'a.a', 'z z', '1', 'a1', '1 a', 'ab ab'])
            )
            SELECT count(*) FROM names, unnest(ARRAY['{string.Join("','", texts)}']) q
            WHERE names.n % q AND names.n NOT LIKE '%' || q || '%'
            """);
        Assert.Equal(0, violations);
    }

    [Fact]
    public async Task Search_relations_and_company_lists_are_served_by_indexes()
    {
        var busyBuyer = await BusiestBuyerAsync();
        var target = await ScalarAsync<long>("SELECT target_id FROM acquisitions WHERE status = 'completed' ORDER BY id LIMIT 1 OFFSET 777");
        var product = await ScalarAsync<long>("SELECT product_id FROM acquisition_products ORDER BY acquisition_id LIMIT 1");
        // For the busiest buyer (5% of all deals) reading the product links whole is one of three plans alike (1M deals:
        // hash join 69 ms, merge join 41, nested loop 40); the test below bounds what its products page reads.
        var typicalBuyer = await ScalarAsync<long>("SELECT buyer_id FROM acquisitions GROUP BY 1 HAVING count(*) BETWEEN 10 AND 20 ORDER BY 1 LIMIT 1");
        var targetSlug = await ScalarAsync<string>($"SELECT slug FROM companies WHERE id = {target}");
        var queries = new (string Name, string Sql, object Args)[]
        {
            ("company search", CompanyStore.SearchSql, Search.Parameters("swift logik 16", null, (float.MaxValue, 0), 51)),
            ("company search by country", CompanyStore.SearchSql, Search.Parameters("quantum labs", "US", (float.MaxValue, 0), 51)),
            ("companies by country", CompanyStore.ListByCountrySql, new { Country = "DE", After = 0L, Take = 51 }),
            ("product search", ProductStore.SearchSql, Search.Parameters("engine 120", null, (float.MaxValue, 0), 51)),
            ("product search by country", ProductStore.SearchSql, Search.Parameters("engine 120", "DE", (float.MaxValue, 0), 51)),
            ("products by country", ProductStore.ListByCountrySql, new { Country = "DE", After = 0L, Take = 51 }),
            ("products by a rare country", ProductStore.ListByCountrySql, new { Country = "IS", After = 0L, Take = 51 }),
            ("products of a company", ProductStore.ByCompanySql, new { CompanyId = typicalBuyer, After = 0L, Take = 51 }),
            ("owners", ProductStore.OwnersSql, new { Id = product }),
            ("deals as buyer", AcquisitionStore.ByBuyerSql, new { CompanyId = busyBuyer, After = 0L, Take = 51 }),
            ("deals as target", AcquisitionStore.ByTargetSql, new { CompanyId = target, After = 0L, Take = 51 }),
            ("parents", ControlStore.ParentsByIdSql(1), new { K0 = target, D0 = DateOnly.FromDateTime(DateTime.UtcNow) }),
            // Sixteen chains in one statement, as concurrent requests share it (LookupBatches): the last key fills it.
            ("parents of several companies", ControlStore.ParentsByIdSql(16), ChainKeys(k => k < 3 ? typicalBuyer + k : target)),
            ("parents of several companies by slug", ControlStore.ParentsBySlugSql(16), ChainKeys(k => k < 3 ? $"no-such-company-{k}" : targetSlug)),
            ("tree", ControlStore.TreeSql, new { Id = busyBuyer, Depth = 5, Limit = ControlStore.MaxTreeEdges + 1 }),
        };

        var failures = new List<string>();
        foreach (var (name, sql, args) in queries)
        {
            failures.AddRange(SeqScans(await PlanAsync(sql, args)).Select(t => $"{name}: Seq Scan on {t}"));
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_companys_products_are_read_through_its_own_products_and_deals_with_owners_derived_for_the_page_only()
    {
        // Filtering products in id order read every product for a company with fewer than a page of them.
        var busyBuyer = await BusiestBuyerAsync();
        var smallMaker = await ScalarAsync<long>("""
            SELECT p.maker_id FROM products p
            WHERE NOT EXISTS (SELECT FROM acquisitions a WHERE a.buyer_id = p.maker_id)
            GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1
            """);
        var products = await ScalarAsync<long>("SELECT count(*) FROM products");

        foreach (var company in new[] { busyBuyer, smallMaker })
        {
            var plan = await PlanAsync(ProductStore.ByCompanySql, new { CompanyId = company, After = 0L, Take = 51 }, analyze: true);
            var nodes = Plans.Nodes(plan).ToList();
            var productsRead = nodes.Where(n => (string?)n["Relation Name"] == "products")
                .Sum(n => ((double)n["Actual Rows"]! + ((double?)n["Rows Removed by Filter"] ?? 0)) * (double)n["Actual Loops"]!);
            var ownersDerived = nodes.Where(n => (string?)n["Parent Relationship"] == "SubPlan").Select(n => (double)n["Actual Loops"]!).DefaultIfEmpty(0).Max();

            Assert.True(productsRead < products / 20, $"company {company}: read {productsRead} of {products} products:\n{plan}");
            Assert.True(ownersDerived <= 4 * 51, $"company {company}: derived {ownersDerived} owners for a page of 50:\n{plan}");
        }
    }

    [Fact]
    public async Task Generated_deal_types_are_drawn_apart_from_prices()
    {
        // Each type's median price within a factor of two of all deals' (drawn from one number, asset purchases all cost over 800 million).
        await using var connection = new NpgsqlConnection(data.ConnectionString);
        var medians = (await connection.QueryAsync<(string Type, decimal Median)>("""
            SELECT coalesce(type, 'all'), percentile_disc(0.5) WITHIN GROUP (ORDER BY price_amount)
            FROM acquisitions WHERE price_currency = 'USD' GROUP BY ROLLUP (type)
            """)).ToDictionary(r => r.Type, r => r.Median);

        var all = medians["all"];
        Assert.All(medians, m => Assert.InRange(m.Value, all / 2, all * 2));
    }

    /// <summary>The keys of the row a client reaches after 1,000 pages of 50 (or the last row, when fewer match).</summary>
    private async Task<string[]?> DeepKeysAsync(AcquisitionQuery query, string sort, int offset = 49_999)
    {
        var keySql = string.Join(", ", query.Sort.Select(f => f.Name switch
        {
            "announcedOn" => "to_char(a.announced_on, 'YYYY-MM-DD')",
            "price" => "price_sort_key(a.price_amount)::text",
            "createdAt" => "((extract(epoch FROM a.created_at) * 10000000)::bigint + 621355968000000000)::text",
            "updatedAt" => "((extract(epoch FROM a.updated_at) * 10000000)::bigint + 621355968000000000)::text",
            _ => "a.id::text",
        }));
        var sql = $"SELECT ARRAY[{keySql}] FROM acquisitions a JOIN companies b ON b.id = a.buyer_id JOIN companies t ON t.id = a.target_id {query.Where} {query.OrderByClause} OFFSET {offset} LIMIT 1";
        await using var connection = new NpgsqlConnection(data.ConnectionString);
        var keys = await connection.QuerySingleOrDefaultAsync<string[]>(sql, query.Parameters);
        _ = sort;
        return keys;
    }

    private Task<JsonNode> PlanAsync(string sql, object args, bool analyze = false, string? settings = null) =>
        Plans.ExplainAsync(data.ConnectionString, sql, args, analyze, settings);

    /// <summary>A page of 50 as the API plans it: for its values and without the joins a page never needs, when it has filters.</summary>
    private Task<JsonNode> ListPlanAsync(AcquisitionQuery query, bool analyze = false) =>
        PlanAsync(AcquisitionStore.ListSql(query, 51), query.Parameters, analyze, query.DependsOnValues ? Db.PagePlanSql : null);

    private static IEnumerable<string> SeqScans(JsonNode plan) =>
        Plans.Nodes(plan)
            .Where(n => ((string?)n["Node Type"])?.EndsWith("Seq Scan", StringComparison.Ordinal) == true)
            .Select(n => (string?)n["Relation Name"])
            .Where(t => t is not null && BigTables.Contains(t))
            .Select(t => t!);

    // The buyer and target are joined to the page, not to every deal the filters let through: planned for those, each
    // company lookup's cache was sized for up to a million deals, and building it cost 25 times the page's own reading.
    private static IEnumerable<double> CompanyJoinsBeyondThePage(JsonNode plan, int take) =>
        Plans.Nodes(plan)
            .Where(n => ((string?)n["Node Type"]) is "Nested Loop" or "Hash Join" or "Merge Join"
                        && Plans.Nodes(n).Any(c => (string?)c["Relation Name"] == "companies" && (string?)c["Alias"] is "b" or "t"))
            .Select(n => (double)n["Plan Rows"]!)
            .Where(rows => rows > take);

    /// <summary>The parameters of a statement of sixteen chains: each key's company, and dates over three years.</summary>
    private static DynamicParameters ChainKeys(Func<int, object> company) =>
        new(Enumerable.Range(0, 16).SelectMany(k =>
            new KeyValuePair<string, object>[] { new($"K{k}", company(k)), new($"D{k}", new DateOnly(2015 + k % 3, 6, 30)) }));

    private Task<long> BusiestBuyerAsync() => ScalarAsync<long>("SELECT buyer_id FROM acquisitions GROUP BY 1 ORDER BY count(*) DESC LIMIT 1");

    private static long Buffers(JsonNode plan) =>
        ((long?)plan["Shared Hit Blocks"] ?? 0) + ((long?)plan["Shared Read Blocks"] ?? 0);

    private Task<List<T>> QueryAsync<T>(string sql, object? args = null, string? settings = null) =>
        Plans.QueryAsync<T>(data.ConnectionString, sql, args, settings);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(data.ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }
}
