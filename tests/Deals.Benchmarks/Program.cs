using System.Diagnostics;
using System.Globalization;
using Dapper;
using Deals.Api.Common;
using Deals.Benchmarks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// Deals against the database's own speed, on loopback, bounded in time. Every figure is a ratio
// taken in one run: deals / database-limit (pgbench on the same SQL) and deals / composed-limit,
// where composed = 1 / (1/database + 1/http) and http is this API process answering a fixed JSON
// document. Usage: dotnet run -c Release --project tests/Deals.Benchmarks -- [--quick]
var quick = args.Contains("--quick");
var withStandby = args.Contains("--standby"); // reads through a streaming standby (Scaling in the README)
var deals = Option("--deals", quick ? 100_000 : 1_000_000);
var duration = TimeSpan.FromSeconds(Option("--seconds", quick ? 3 : 4));
var runs = Option("--runs", quick ? 1 : 3);
const int Connections = 32;
var total = Stopwatch.StartNew();
var culture = CultureInfo.InvariantCulture;

var repository = FindRepository();
var work = Directory.CreateTempSubdirectory("deals-bench-").FullName;
File.SetUnixFileMode(work, File.GetUnixFileMode(work) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
var bin = LocalPostgres.FindBinaries(null) ?? throw new InvalidOperationException("PostgreSQL server binaries are needed.");
Console.WriteLine($"Deals benchmark ({(quick ? "quick" : "full")}): {deals:N0} deals, {runs} run(s) of {duration.TotalSeconds} s per measurement, wrk -t2 -c{Connections}.");

// 1. The API, built with the benchmark-only endpoint, in Release, while the database is prepared (nothing is measured
// before both are done; overlapping them keeps the full run within 15 minutes).
var apiDir = Path.Combine(work, "api");
var building = Task.Run(() => Tools.Run("dotnet", ["build", Path.Combine(repository, "src", "Deals.Api"), "-c", "Release", "-p:BenchmarkBuild=true", "-o", apiDir, "--nologo", "-v", "q"]));

// 2. A private PostgreSQL with the generated data.
var cluster = await LocalPostgres.StartAsync(bin, Path.Combine(work, "db"), "deals", NullLogger.Instance, CancellationToken.None);
LocalPostgres? standby = null;
Process? started = null;

// A failure before the measurements' own cleanup (the finally at the end) must not leave the servers running.
AppDomain.CurrentDomain.UnhandledException += (_, _) =>
{
    started?.Kill();
    standby?.StopAsync().GetAwaiter().GetResult();
    cluster.StopAsync().GetAwaiter().GetResult();
    building.Wait(); // the API's build writes into the work directory until it ends
    Directory.Delete(work, recursive: true);
};
var connectionString = cluster.ConnectionString("deals");
Database.Migrate(connectionString, NullLogger.Instance);
var load = Stopwatch.StartNew();
await Deals.Api.Tools.Generator.GenerateAsync(connectionString, Deals.Api.Tools.Generator.Size.For(deals));
await using (var loaded = new NpgsqlConnection(connectionString))
{
    // The load's dirty pages go to disk now, so that writing them out cannot fall inside the first scenarios (a
    // serving database has no such backlog).
    await loaded.ExecuteAsync(new CommandDefinition("CHECKPOINT", commandType: System.Data.CommandType.Text)); // one word: Dapper would call a procedure
}

Console.WriteLine($"Loaded {deals:N0} deals in {load.Elapsed.TotalSeconds:0} s.");
var password = new NpgsqlConnectionStringBuilder(connectionString).Password!;
string[] readSettings = [];
if (withStandby)
{
    standby = await LocalPostgres.StartStandbyAsync(bin, cluster, Path.Combine(work, "standby"), NullLogger.Instance, CancellationToken.None);
    var read = new NpgsqlConnectionStringBuilder(connectionString)
    {
        Host = $"127.0.0.1:{standby.Port},127.0.0.1:{cluster.Port}",
        TargetSessionAttributes = "prefer-standby",
    };
    readSettings = [$"--ConnectionStrings:DealsRead={read.ConnectionString}"];
    Console.WriteLine($"Reads go to a streaming standby on port {standby.Port}; writes to the primary on {cluster.Port}.");
}
var postmaster = int.Parse(File.ReadLines(Path.Combine(work, "db", "pg", "postmaster.pid")).First(), culture);

var build = await building;
if (build.ExitCode != 0)
{
    throw new InvalidOperationException("Building the API failed: " + build.Output);
}

// 3. The API process on a free loopback port.
var port = FreePort();
var apiStart = new ProcessStartInfo(Path.Combine(apiDir, "Deals.Api"))
{
    ArgumentList =
    {
        $"--ConnectionStrings:Deals={connectionString}", $"--urls=http://127.0.0.1:{port}", "--Logging:LogLevel:Default=Warning",
        "--Logging:Format=simple", "--Auth:AnonymousReads=true", "--RateLimits:Enabled=false",
    },
    RedirectStandardOutput = true,
    RedirectStandardError = true,
    UseShellExecute = false,
};
foreach (var setting in readSettings)
{
    apiStart.ArgumentList.Add(setting);
}

var api = Process.Start(apiStart)!;
started = api;
api.OutputDataReceived += (_, _) => { };
api.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("api: " + e.Data); };
api.BeginOutputReadLine();
api.BeginErrorReadLine();
var baseUrl = $"http://127.0.0.1:{port}";
await WaitForAsync(baseUrl + "/v1/companies?limit=1");
using var rss = new RssSampler(api.Id);
var dealsCpu = new CpuMeter(() => CpuMeter.PostgresProcesses(postmaster).Append(api.Id));
var dbCpu = new CpuMeter(() => CpuMeter.PostgresProcesses(postmaster));
var httpCpu = new CpuMeter(() => [api.Id]);

try
{
    // Warm up the API (JIT, pools, prepared statements) before anything is measured; each scenario is warmed again below.
    var warmUp = TimeSpan.FromSeconds(quick ? 1 : 2);
    Tools.Wrk(baseUrl + "/v1/acquisitions/1", null, Connections, TimeSpan.FromSeconds(quick ? 2 : 3), httpCpu);
    Tools.Wrk(baseUrl + "/_bench/fixed", null, Connections, TimeSpan.FromSeconds(quick ? 2 : 5), httpCpu);
    var http = Median(runs, () => Tools.Wrk(baseUrl + "/_bench/fixed", null, Connections, duration, httpCpu));
    Console.WriteLine($"HTTP limit (fixed JSON from the API process): {http.RequestsPerSecond:N0} req/s, p50 {http.P50Ms:0.00} ms, p99 {http.P99Ms:0.00} ms, {http.CpuMsPerRequest:0.000} CPU ms/req");

    var scenarios = await Scenarios.CreateAsync(connectionString, quick);
    var lines = new List<string>();
    var rssByRun = new List<(string Scenario, List<double> Peaks)>();
    Console.WriteLine();
    Console.WriteLine("| scenario | deals req/s | p50 ms | p99 ms | errors | db limit tx/s (clients) | ratio_db | ratio_composed | CPU ms/req deals | CPU ms/req limit | lookups/statement | API peak RSS MB |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (var scenario in scenarios)
    {
        // Sweep pgbench's client count once each and repeat the best count once (full runs): the limit is the best
        // of these, which is never below their median, so the ratios err against Deals rather than for it.
        LoadResult PgBench(int clients) => Tools.PgBench(bin, cluster.Port, password, "deals", scenario.PgBenchScripts, clients, duration, dbCpu, scenario.Variables, scenario.SessionOptions);
        var best = scenario.ClientSweep.Select(c => (Clients: c, Result: PgBench(c))).MaxBy(x => x.Result.RequestsPerSecond);
        var database = best;
        if (runs > 1 && PgBench(best.Clients) is var again && again.RequestsPerSecond > best.Result.RequestsPerSecond)
        {
            database = (best.Clients, again);
        }

        // The scenario's own code paths reach their optimised JIT tier before they are measured, as in a serving process
        // (cold, the first seconds of a list cost up to twice the CPU per request).
        Tools.Wrk(baseUrl + scenario.Path, scenario.Lua, Connections, warmUp, dealsCpu);
        // Each run's own peak RSS: the same load repeated must not need more memory each time.
        var runPeaks = new List<double>();
        // Lookups a lookup statement served (a deal by id, a company by slug, a chain of parents; the same key twice counts twice): 1 when
        // each request sends its own, more when concurrent lookups share statements (LookupBatches); none elsewhere.
        var lookupsBefore = await LookupsAsync(baseUrl);
        var measured = Median(runs, () =>
        {
            rss.Reset();
            var result = Tools.Wrk(baseUrl + scenario.Path, scenario.Lua, Connections, duration, dealsCpu);
            runPeaks.Add(rss.PeakMb);
            return result;
        });
        var lookupsAfter = await LookupsAsync(baseUrl);
        var lookupsPerStatement = lookupsAfter[1] > lookupsBefore[1]
            ? ((lookupsAfter[0] - lookupsBefore[0]) / (double)(lookupsAfter[1] - lookupsBefore[1])).ToString("0.0", culture)
            : "–";
        rssByRun.Add((scenario.Name, runPeaks));
        var composed = 1 / (1 / database.Result.RequestsPerSecond + 1 / http.RequestsPerSecond);
        var ratioDb = measured.RequestsPerSecond / database.Result.RequestsPerSecond;
        var ratioComposed = measured.RequestsPerSecond / composed;
        var limitCpu = database.Result.CpuMsPerRequest + http.CpuMsPerRequest;
        Console.WriteLine(string.Create(culture, $"| {scenario.Name} | {measured.RequestsPerSecond:N0} | {measured.P50Ms:0.00} | {measured.P99Ms:0.00} | {measured.Errors} | " +
            $"{database.Result.RequestsPerSecond:N0} ({database.Clients}) | {ratioDb:0.00} | {ratioComposed:0.00} | {measured.CpuMsPerRequest:0.000} | {limitCpu:0.000} | {lookupsPerStatement} | {runPeaks.Max():0} |"));
        lines.Add(string.Create(culture, $"scenario: {scenario.Name} deals={measured.RequestsPerSecond:0} ratio_db={ratioDb:0.00} ratio_composed={ratioComposed:0.00}"));
    }

    // Growth across repeated runs: each scenario's last run against its first (scenarios differ in what they hold, so
    // only the same load repeated is compared).
    Console.WriteLine();
    Console.WriteLine("API peak RSS by run (MB): " + string.Join("; ", rssByRun.Select(r => $"{r.Scenario} {string.Join(" / ", r.Peaks.Select(p => p.ToString("0", culture)))}")));
    // One run per scenario (--quick) repeats nothing, so it reports no growth figure rather than a zero.
    var growth = runs > 1 ? rssByRun.Max(r => r.Peaks[^1] - r.Peaks[0]).ToString("0", culture) : "n/a";
    var peak = rssByRun.Max(r => r.Peaks.Max());
    Console.WriteLine(string.Create(culture, $"Largest growth from a scenario's first run to its last: {growth} MB (highest peak {peak:0} MB)."));
    lines.Add(string.Create(culture, $"scenario: rss-repeated-runs max_growth_mb={growth} peak_mb={peak:0}"));

    // Bulk paths: export MB/s against COPY TO, and import rows/s against psql \copy, into an empty database.
    var export = await Bulk.ExportAsync(baseUrl, connectionString, "announcedFrom=2015&announcedTo=2019-05", rss, runs);
    var exportRows = await new NpgsqlConnection(connectionString).ExecuteScalarAsync<long>(
        "SELECT count(*) FROM acquisitions WHERE announced_until >= date '2015-01-01' AND announced_on <= date '2019-05-31'");
    Console.WriteLine(string.Create(culture, $"| export-csv ({exportRows:N0} deals) | {export.Deals:0.0} MB/s | | | | {export.Limit:0.0} MB/s (COPY TO) | {export.Deals / export.Limit:0.00} | | | | {export.PeakRssMb:0} |"));
    lines.Add(string.Create(culture, $"scenario: export-csv deals={export.Deals:0.0}MB/s ratio_db={export.Deals / export.Limit:0.00} ratio_composed=n/a"));

    var csv = Path.Combine(work, "export.csv");
    using (var downloader = new HttpClient { Timeout = TimeSpan.FromMinutes(30) })
    using (var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/v1/acquisitions"))
    {
        request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue("text/csv"));
        using var response = await downloader.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var file = File.Create(csv);
        await (await response.Content.ReadAsStreamAsync()).CopyToAsync(file);
    }

    var importRows = await new NpgsqlConnection(connectionString).ExecuteScalarAsync<long>("SELECT count(*) FROM acquisitions");
    await cluster.EnsureDatabaseAsync("deals_import", null, CancellationToken.None);
    var importConnection = cluster.ConnectionString("deals_import");
    Database.Migrate(importConnection, NullLogger.Instance);
    var importPort = FreePort();
    var importer = Process.Start(new ProcessStartInfo(Path.Combine(apiDir, "Deals.Api"))
    {
        ArgumentList = { $"--ConnectionStrings:Deals={importConnection}", $"--urls=http://127.0.0.1:{importPort}", "--Logging:LogLevel:Default=Warning", "--RateLimits:Enabled=false" },
        RedirectStandardOutput = true,
        UseShellExecute = false,
    })!;
    importer.OutputDataReceived += (_, _) => { };
    importer.BeginOutputReadLine();
    try
    {
        await WaitForAsync($"http://127.0.0.1:{importPort}/health/live");
        await using var keyDb = NpgsqlDataSource.Create(importConnection);
        var (_, key) = await new Deals.Api.Keys.KeyStore(keyDb).CreateAsync("benchmark", Deals.Api.Keys.Role.Writer, null);
        using var importRss = new RssSampler(importer.Id);
        var import = await Bulk.ImportAsync($"http://127.0.0.1:{importPort}", key, csv, importRows, bin, cluster.Port, password, "deals_import", importRss);
        Console.WriteLine(string.Create(culture, $"| import ({importRows:N0} deals, {new FileInfo(csv).Length / 1e6:0} MB CSV) | {import.Deals:N0} rows/s | | | | {import.Limit:N0} rows/s (psql \\copy) | {import.Deals / import.Limit:0.000} | | | | {import.PeakRssMb:0} |"));
        Console.WriteLine(string.Create(culture, $"Import against storing the same deals in the real schema (INSERT ... SELECT with its indexes, keys and audit): {import.SchemaLimit:N0} rows/s, ratio {import.Deals / import.SchemaLimit:0.00}"));
        lines.Add(string.Create(culture, $"scenario: import deals={import.Deals:0} ratio_db={import.Deals / import.Limit:0.000} ratio_composed=n/a ratio_schema={import.Deals / import.SchemaLimit:0.00}"));

        // Memory stays flat whatever the upload's size (with --memory: the large upload takes minutes).
        if (args.Contains("--memory"))
        {
            var largeMb = Option("--memory-mb", 200);
            Console.WriteLine($"Import memory: a 10 MB NDJSON upload, then a {largeMb} MB one, into the same API process:");
            var (small, large, memoryRows, seconds) = await Memory.MeasureAsync($"http://127.0.0.1:{importPort}", key, importer.Id, work, largeMb * 1_000_000L);
            Console.WriteLine(string.Create(culture, $"Import memory: peak RSS {small:0} MB after 10 MB, {large:0} MB after {largeMb} MB ({memoryRows:N0} rows in {seconds:0} s): grew {large - small:0} MB"));
            lines.Add(string.Create(culture, $"scenario: import-memory peak_rss_10mb={small:0} peak_rss_large={large:0} growth_mb={large - small:0}"));
        }
    }
    finally
    {
        importer.Kill();
        await importer.WaitForExitAsync();
    }

    Console.WriteLine();
    Console.WriteLine($"Finished in {total.Elapsed.TotalMinutes:0.0} min.");
    lines.ForEach(Console.WriteLine);
}
finally
{
    api.Kill();
    await api.WaitForExitAsync();
    if (standby is not null)
    {
        await standby.StopAsync();
    }

    await cluster.StopAsync();
    Directory.Delete(work, recursive: true);
}

// The API's lookups by key so far and the statements sent for them (benchmark builds only).
static async Task<long[]> LookupsAsync(string baseUrl)
{
    using var http = new HttpClient();
    var counts = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(baseUrl + "/_bench/lookups"))!;
    return [(long)counts["lookups"]!, (long)counts["statements"]!];
}

static LoadResult Median(int runs, Func<LoadResult> run) =>
    Enumerable.Range(0, runs).Select(_ => run()).OrderBy(r => r.RequestsPerSecond).ElementAt(runs / 2);

static async Task WaitForAsync(string url)
{
    using var http = new HttpClient();
    for (var i = 0; i < 300; i++)
    {
        try
        {
            if ((await http.GetAsync(url)).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("The API did not start.");
}

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindRepository()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Deals.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run the benchmark from inside the checkout.");
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
