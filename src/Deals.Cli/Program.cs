using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using Deals.Cli;
using Spectre.Console;

return await DealsCommand.Create().Parse(args).InvokeAsync();

namespace Deals.Cli
{
/// <summary>The <c>deals</c> command line: a client of the Deals HTTP API.</summary>
public static class DealsCommand
{
    public static RootCommand Create()
    {
        var api = new Option<string>("--api")
        {
            Description = "The Deals API (or DEALS_API).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DEALS_API") ?? "http://localhost:5080",
        };
        var key = new Option<string?>("--key")
        {
            Description = "An API key with the writer role (or DEALS_KEY); the local run prints one at start.",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DEALS_KEY"),
        };

        var file = new Argument<FileInfo>("file") { Description = "A CSV file with a header row, or NDJSON (.ndjson/.jsonl), of any size." };
        var map = new Option<string[]>("--map")
        {
            Description = "Canonical column from a source column: --map buyer=acquirer_name,target=company_name (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "A constant for a canonical column: --set price_currency=USD (repeatable).",
            AllowMultipleArgumentsPerToken = true,
        };
        var parsePrices = new Option<bool>("--parse-prices") { Description = "Read human prices: '$107 million', '1,350,000,000', '7.5×10^9'; '—', '-' or empty are undisclosed." };
        var batch = new Option<int>("--batch") { Description = "Rows per request (each is one transaction on the server).", DefaultValueFactory = _ => 20_000 };
        var rejects = new Option<string?>("--rejects") { Description = "Where to write rejected rows with their reasons (default FILE.rejects.csv)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Report what would happen and write nothing." };
        var defaultCurrency = new Option<string?>("--default-currency") { Description = "Currency for prices given without one." };
        var registry = new Option<string?>("--registry")
        {
            Description = "The registry of buyer_external_id and target_external_id (e.g. crunchbase): companies are matched by that id first, and keep it.",
        };

        var import = new Command("import", """
            Import deal records from a file through the API, in batches, with a progress bar.
            Resumes after an interruption (a checkpoint file beside the input) without duplicating anything,
            writes rejected rows with their reasons to a CSV, prints a summary, and exits 1 when rows were rejected.

            Examples:
              deals import deals.csv --key dk_1_...
              deals import crunchbase-acquisitions.csv --map buyer=acquirer_name,target=company_name,announced_on=acquired_at,price_amount=price_amount,price_currency=price_currency_code,buyer_country=acquirer_country_code,target_country=company_country_code
              deals import crunchbase-acquisitions.csv --registry crunchbase --map buyer_external_id=acquirer_permalink,target_external_id=company_permalink,buyer=acquirer_name,target=company_name,announced_on=acquired_at
              deals import wikipedia.csv --map buyer=Acquirer,target=Company,announced_on=Date,price_amount=Price --parse-prices --set price_currency=USD
            """)
        {
            file, api, key, map, set, parsePrices, batch, rejects, dryRun, defaultCurrency, registry,
        };
        import.SetAction(async (result, cancellationToken) =>
        {
            var input = result.GetValue(file)!;
            if (!input.Exists)
            {
                Console.Error.WriteLine($"No such file: {input.FullName}");
                return 2;
            }

            var options = new ImportOptions(input.FullName, new Uri(result.GetValue(api)!), result.GetValue(key),
                Pairs(result.GetValue(map)), Pairs(result.GetValue(set)), result.GetValue(parsePrices), Math.Max(1, result.GetValue(batch)),
                result.GetValue(rejects) ?? input.FullName + ".rejects.csv", input.FullName + ".deals-checkpoint", result.GetValue(dryRun),
                result.GetValue(defaultCurrency), result.GetValue(registry));
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
            try
            {
                ImportSummary? summary = null;
                await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask(input.Name, maxValue: 100);
                        summary = await new Importer(options, http).RunAsync((done, total) => task.Value = total == 0 ? 100 : 100.0 * done / total, cancellationToken);
                    });
                var s = summary!;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{s.Rows} rows: {s.Created} created, {s.Updated} updated, {s.Unchanged} unchanged, {s.Rejected} rejected; " +
                    $"{s.CompaniesCreated} companies and {s.ProductsCreated} products created{(s.Skipped > 0 ? $"; resumed after {s.Skipped} rows" : "")}."));
                if (s.Rejected > 0)
                {
                    Console.WriteLine($"Rejected rows and reasons: {options.Rejects}");
                }

                return s.Rejected > 0 ? 1 : 0;
            }
            catch (ImportInputException e)
            {
                Console.Error.WriteLine($"Cannot import {input.Name}: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"Import stopped: {e.Message} Run the same command again to resume.");
                return 2;
            }
        });

        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where to write (default: standard output)." };
        var format = new Option<string>("--format") { Description = "csv (the import columns) or ndjson (the API's JSON, one deal per line).", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "ndjson");
        var filters = new Option<string[]>("--filter")
        {
            Description = "A list filter of the API: --filter buyer=red-hat --filter announcedFrom=2008 (repeatable; see GET /v1/acquisitions).",
            AllowMultipleArgumentsPerToken = true,
        };
        var export = new Command("export", """
            Export deals with the list filters of the API, as CSV (ready to import elsewhere) or NDJSON.

            Examples:
              deals export -o redhat.csv --filter buyer=red-hat
              deals export --format ndjson --filter currency=USD --filter minPrice=1000000000
            """)
        {
            api, key, output, format, filters,
        };
        export.SetAction(async (result, cancellationToken) =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(result.GetValue(api)!), Timeout = TimeSpan.FromMinutes(30) };
            if (result.GetValue(key) is { } k)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", k);
            }

            var query = string.Join('&', (result.GetValue(filters) ?? []).Select(f => f.Split('=', 2)).Select(p => $"{Uri.EscapeDataString(p[0])}={Uri.EscapeDataString(p.Length > 1 ? p[1] : "")}"));
            await using var target = result.GetValue(output) is { } o ? (Stream)o.Create() : Console.OpenStandardOutput();
            return await Exporter.RunAsync(http, query, result.GetValue(format)!, target, cancellationToken);
        });

        return new RootCommand("deals: import and export deal records through the Deals API.") { import, export };
    }

    private static Dictionary<string, string> Pairs(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
}
}
