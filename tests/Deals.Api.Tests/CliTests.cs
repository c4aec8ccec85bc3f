using Deals.Api.Tests.Infrastructure;
using Deals.Cli;

namespace Deals.Api.Tests;

public sealed class PriceParserTests
{
    [Theory]
    [InlineData("$107 million", "107000000", "USD")]
    [InlineData("107000000", "107000000", null)]
    [InlineData("1,350,000,000", "1350000000", null)]
    [InlineData("7.5×10^9", "7500000000", null)]
    [InlineData("7.5x10^9", "7500000000", null)]
    [InlineData("USD 34 billion", "34000000000", "USD")]
    [InlineData("€4.8bn", "4800000000", "EUR")]
    [InlineData("£ 1.2m", "1200000", "GBP")]
    [InlineData("350 million USD", "350000000", "USD")]
    [InlineData("$1.5B", "1500000000", "USD")]
    [InlineData("12.50", "12.50", null)]
    [InlineData("500k", "500000", null)]
    public void Human_prices_are_read_exactly(string text, string amount, string? currency)
    {
        var (parsed, unit, error) = PriceParser.Parse(text);

        Assert.Null(error);
        Assert.Equal(decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture), parsed);
        Assert.Equal(currency, unit);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("—")]
    [InlineData("n/a")]
    [InlineData("Undisclosed")]
    [InlineData(null)]
    public void Undisclosed_forms_mean_no_price(string? text)
    {
        Assert.Equal((null, null, null), PriceParser.Parse(text));
    }

    [Theory]
    [InlineData("about 100 million")]
    [InlineData("4,8 million")]
    [InlineData("0")]
    [InlineData("1.234")]
    [InlineData("lots")]
    public void Anything_else_is_an_error_never_a_guess(string text)
    {
        Assert.NotNull(PriceParser.Parse(text).Error);
    }
}

public sealed class CliTests(ApiFixture api) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deals-cli-").FullName;

    private static readonly string CrunchbaseMap =
        "buyer=acquirer_name,target=company_name,announced_on=acquired_at,price_amount=price_amount," +
        "price_currency=price_currency_code,buyer_country=acquirer_country_code,target_country=company_country_code";

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task The_cli_imports_the_crunchbase_export_and_its_summary_accounts_for_every_row()
    {
        var source = Path.Combine(DealsApp.RepositoryRoot(), "..", "shared", "data", "crunchbase-acquisitions.csv");
        Skip.IfNot(File.Exists(source), "The Crunchbase sample is not beside the checkout (../shared/data).");
        var file = Path.Combine(_dir, "crunchbase.csv");
        File.Copy(source, file);

        var exit = await DealsCommand.Create().Parse(["import", file, "--api", api.Client.BaseAddress!.ToString(), "--key", api.AdminKey, "--map", CrunchbaseMap]).InvokeAsync();

        Assert.Equal(1, exit); // rows were rejected
        var rejects = ReadRejects(file + ".rejects.csv");
        var imported = (await api.QueryAsync<long>("SELECT count(*) FROM acquisitions WHERE id > 9")).Single();
        Assert.InRange(rejects.Count, 60, 70);
        // 51 repeated (target, buyer, date) keys make no deal of their own.
        Assert.InRange(imported, 18968 - rejects.Count - 60, 18968 - rejects.Count - 40);
        Assert.Contains(rejects, r => r.Value == "3201-10-21" && r.Field == "announced_on");
        Assert.Equal(34, rejects.Count(r => r.Reason.Contains("same company", StringComparison.Ordinal)));
        Assert.False(File.Exists(file + ".deals-checkpoint"));

        // Again: nothing changes, and the API says so.
        var again = await new Importer(Options(file), new HttpClient()).RunAsync(null, CancellationToken.None);
        Assert.Equal(18968, again.Rows);
        Assert.Equal(rejects.Count, again.Rejected);
        Assert.Equal(18968 - rejects.Count, again.Unchanged);
    }

    [Fact]
    public async Task An_interrupted_import_resumes_after_its_last_batch_without_duplicating_anything()
    {
        var file = Path.Combine(_dir, "resume.csv");
        await File.WriteAllLinesAsync(file, ["Acquirer,Company,Date,Price"]);
        await File.AppendAllLinesAsync(file, Enumerable.Range(1, 50).Select(i => $"Resume Buyer,Resume Target {i},2015-{1 + i % 12:00}-{1 + i % 28:00},\"${i} million\""));
        var options = Options(file) with { Map = Map("buyer=Acquirer,target=Company,announced_on=Date,price_amount=Price"), Set = Map("price_currency=USD"), ParsePrices = true, BatchSize = 10 };

        using var stop = new CancellationTokenSource();
        var batches = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new Importer(options, new HttpClient()).RunAsync((_, _) => { if (++batches == 2) stop.Cancel(); }, stop.Token));
        Assert.Equal("20", await File.ReadAllTextAsync(options.Checkpoint));

        var resumed = await new Importer(options, new HttpClient()).RunAsync(null, CancellationToken.None);

        Assert.Equal(20, resumed.Skipped);
        Assert.Equal(30, resumed.Created);
        var deals = await api.QueryAsync<decimal>("SELECT a.price_amount FROM acquisitions a JOIN companies b ON b.id = a.buyer_id WHERE b.name = 'Resume Buyer' ORDER BY 1");
        Assert.Equal(Enumerable.Range(1, 50).Select(i => i * 1_000_000m), deals);
    }

    [Fact]
    public async Task The_cli_sends_the_registry_so_that_mapped_ids_match_companies_whatever_their_names()
    {
        var file = Path.Combine(_dir, "ids.csv");
        await File.WriteAllLinesAsync(file,
        [
            "acquirer_permalink,acquirer_name,company_permalink,company_name,acquired_at",
            "/organization/cli-id-buyer,Cli Id Buyer,/organization/cli-id-target,Cli Id Target,2013-04-05",
            "/organization/cli-id-buyer,Cli Id Buyer (renamed),/organization/cli-id-other,Cli Id Other,2013-05-06",
        ]);

        var exit = await DealsCommand.Create().Parse(["import", file, "--api", api.Client.BaseAddress!.ToString(), "--key", api.AdminKey,
            "--registry", "crunchbase", "--map", "buyer_external_id=acquirer_permalink,target_external_id=company_permalink,buyer=acquirer_name,target=company_name,announced_on=acquired_at"]).InvokeAsync();

        Assert.Equal(0, exit);
        var buyers = await api.QueryAsync<(string Name, string ExternalId)>("""
            SELECT DISTINCT c.name, e.external_id FROM acquisitions a JOIN companies c ON c.id = a.buyer_id
            JOIN company_external_ids e ON e.company_id = c.id AND e.registry = 'crunchbase'
            JOIN companies t ON t.id = a.target_id WHERE t.name IN ('Cli Id Target', 'Cli Id Other')
            """);
        Assert.Equal([("Cli Id Buyer", "/organization/cli-id-buyer")], buyers);
    }

    [Fact]
    public async Task The_cli_refuses_a_file_that_names_a_column_twice_and_rejects_rows_of_the_wrong_width_with_their_line()
    {
        var file = Path.Combine(_dir, "repeated.csv");
        await File.WriteAllLinesAsync(file, ["Acquirer,Company,Date,Company", "Cli Repeat Buyer,Cli Repeat Target,2014-01-02,Cli Repeat Other"]);
        string[] args = ["import", file, "--api", api.Client.BaseAddress!.ToString(), "--key", api.AdminKey, "--map", "buyer=Acquirer,target=Company,announced_on=Date"];

        var refused = await Assert.ThrowsAsync<ImportInputException>(() => ImportMappedAsync(file));
        Assert.Contains("Repeated column(s) in the header: Company", refused.Message);
        Assert.Equal(2, await DealsCommand.Create().Parse(args).InvokeAsync());
        Assert.Empty(await api.QueryAsync<string>("SELECT name FROM companies WHERE name LIKE 'Cli Repeat%'"));

        await File.WriteAllLinesAsync(file, ["Acquirer,Company,Date", "Cli Width Buyer,Cli Width Target,2014-01-02", "Cli Width Buyer,Cli Width Cut,2014-01-03,2015",
            "Cli Width Buyer,Cli Width Short", "Cli Width Buyer,\"Cli Width\" Quoted,2014-01-04"]);
        Assert.Equal(1, await DealsCommand.Create().Parse(args).InvokeAsync());

        Assert.Equal([(3L, "record"), (4L, "record"), (5L, "record")], ReadRejects(file + ".rejects.csv").Select(r => (r.Line, r.Field)));
        Assert.Contains("4 values where the header has 3", ReadRejects(file + ".rejects.csv")[0].Reason);
        Assert.Equal(["Cli Width Buyer", "Cli Width Target"], await api.QueryAsync<string>("SELECT name FROM companies WHERE name LIKE 'Cli Width%' ORDER BY 1"));
    }

    [Fact]
    public async Task The_cli_rejects_a_row_with_bytes_that_are_not_utf8_by_its_source_line_and_never_stores_a_replacement_character()
    {
        var file = Path.Combine(_dir, "latin1.csv");
        await File.WriteAllBytesAsync(file, [.. System.Text.Encoding.UTF8.GetBytes("Acquirer,Company,Date\nCli Bytes Buyer,Cli Bytes Target,2014-03-04\nCli Bytes Buyer,Cli Bytes Nestl"),
            0xE9, .. System.Text.Encoding.UTF8.GetBytes(",2014-03-05\n")]);

        var summary = await ImportMappedAsync(file);

        Assert.Equal((2L, 1L, 1L), (summary.Rows, summary.Created, summary.Rejected));
        var reject = Assert.Single(ReadRejects(file + ".rejects.csv"));
        Assert.Equal((3L, "target"), (reject.Line, reject.Field));
        Assert.Contains("UTF-8", reject.Reason);
        Assert.Empty(await api.QueryAsync<string>("SELECT name FROM companies WHERE name LIKE 'Cli Bytes Nestl%'"));
    }

    [Fact]
    public async Task The_cli_rejects_ndjson_lines_that_are_not_objects_or_give_a_property_twice_and_imports_the_rest()
    {
        var file = Path.Combine(_dir, "records.ndjson");
        await File.WriteAllLinesAsync(file,
        [
            """{"Acquirer": "Cli Json Buyer", "Company": "Cli Json Target", "Date": "2014-02-03"}""",
            """{"Acquirer": "Cli Json Buyer", "Company": "Cli Json Twice", "company": "Cli Json Other", "Date": "2014-02-04"}""",
            "not json",
            "[1, 2]",
            """{"Acquirer": "Cli Json Buyer", "Company": "Cli Json \ud800 Half", "Date": "2014-02-05"}""",
            """{"Acquirer": "Cli Json Buyer", "Company": "Cli Json After Half", "Date": "2014-02-06"}""",
        ]);

        var summary = await ImportMappedAsync(file);

        Assert.Equal((6L, 2L, 4L), (summary.Rows, summary.Created, summary.Rejected));
        Assert.Equal([(2L, "company"), (3L, "record"), (4L, "record"), (5L, "record")], ReadRejects(file + ".rejects.csv").Select(r => (r.Line, r.Field)));
        Assert.Equal(["Cli Json After Half"], await api.QueryAsync<string>("SELECT name FROM companies WHERE name LIKE 'Cli Json%Half'"));
        Assert.Empty(await api.QueryAsync<string>("SELECT name FROM companies WHERE name IN ('Cli Json Twice', 'Cli Json Other')"));
    }

    private static List<(long Line, string Field, string Value, string Reason)> ReadRejects(string file)
    {
        using var reader = new StreamReader(file);
        using var csv = new CsvHelper.CsvReader(reader, System.Globalization.CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var rows = new List<(long, string, string, string)>();
        while (csv.Read())
        {
            rows.Add((csv.GetField<long>("line"), csv.GetField("field")!, csv.GetField("value")!, csv.GetField("reason")!));
        }

        return rows;
    }

    /// <summary>Imports <paramref name="file"/> with its Acquirer, Company and Date columns mapped onto buyer, target and announced_on.</summary>
    private Task<ImportSummary> ImportMappedAsync(string file) =>
        new Importer(Options(file) with { Map = Map("buyer=Acquirer,target=Company,announced_on=Date") }, new HttpClient()).RunAsync(null, CancellationToken.None);

    private ImportOptions Options(string file) => new(file, api.Client.BaseAddress!, api.AdminKey, Map(CrunchbaseMap), Map(""), false, 5000,
        file + ".rejects.csv", file + ".deals-checkpoint", false, null);

    private static Dictionary<string, string> Map(string pairs) =>
        pairs.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);
}
