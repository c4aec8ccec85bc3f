using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using Deals.Api;
using Deals.Api.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// The soak: mixed reads and writes from several clients against the API on loopback while
// PostgreSQL is restarted under it, then a check that every write acknowledged with a 2xx is in
// the database and that nothing else is. Bounded in time; prints its figures and exits non-zero
// when the check fails.
//   dotnet run -c Release --project tests/Deals.Soak -- [--seconds 120] [--clients 8] [--restarts 2]

var seconds = Option("--seconds", 120);
var clients = Option("--clients", 8);
var restarts = Option("--restarts", 2);

var root = Directory.CreateTempSubdirectory("deals-soak-").FullName;
var bin = LocalPostgres.FindBinaries(null) ?? throw new InvalidOperationException("PostgreSQL server binaries are needed (apt-get install postgresql).");
var cluster = await LocalPostgres.StartAsync(bin, root, "deals", NullLogger.Instance, CancellationToken.None);
var port = cluster.Port;
var connection = cluster.ConnectionString("deals");
Database.Migrate(connection, NullLogger.Instance);

try
{
    var app = (await DealsApp.CreateAsync([$"--ConnectionStrings:Deals={connection}", "--urls=http://127.0.0.1:0",
        "--Logging:LogLevel:Default=Critical", "--RateLimits:Enabled=false"]))!;
    await app.StartAsync();
    var baseAddress = new Uri(app.Urls.First());
    await using var keyDb = NpgsqlDataSource.Create(connection);
    var (_, key) = await new Deals.Api.Keys.KeyStore(keyDb).CreateAsync("soak", Deals.Api.Keys.Role.Writer, null);
    Console.WriteLine($"Soak: {clients} clients for {seconds} s against {baseAddress}, PostgreSQL restarted {restarts} times.");

    var acknowledged = new ConcurrentDictionary<string, long>();
    var imports = new ConcurrentDictionary<string, bool>(); // import tag: acknowledged (true) or refused with an error (false)
    var uncertain = new ConcurrentDictionary<string, bool>(); // requests that got no answer at all: either outcome is allowed
    var statuses = new ConcurrentDictionary<string, long>();
    var requests = 0L;
    var unexpected = new ConcurrentQueue<string>();
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
    var watch = Stopwatch.StartNew();

    var workers = Enumerable.Range(0, clients).Select(worker => Task.Run(async () =>
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var random = new Random(worker);
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            HttpResponseMessage response;
            var name = $"Soak {worker}-{n++}";
            var write = random.Next(4) == 0;
            if (random.Next(20) == 0)
            {
                // An import of three deals: all of them stored, or none, whatever happens to PostgreSQL meanwhile.
                var tag = $"SoakImport {worker}-{n}";
                var csv = $"buyer,target,announced_on\n{tag} Buyer,{tag} T1,2001\n{tag} Buyer,{tag} T2,2002\n{tag} Buyer,{tag} T3,2003\n";
                try
                {
                    var imported = await http.PostAsync("/v1/imports", new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"));
                    Interlocked.Increment(ref requests);
                    statuses.AddOrUpdate("import " + (int)imported.StatusCode, 1, (_, c) => c + 1);
                    imports[tag] = imported.IsSuccessStatusCode;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    statuses.AddOrUpdate("import no answer", 1, (_, c) => c + 1);
                }

                continue;
            }

            try
            {
                response = write
                    ? await http.PostAsJsonAsync("/v1/companies", new { name })
                    : await http.GetAsync(random.Next(2) == 0 ? "/v1/companies?limit=20" : "/v1/acquisitions?limit=20");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (write)
                {
                    uncertain[name] = true;
                }

                statuses.AddOrUpdate("no answer", 1, (_, c) => c + 1);
                continue;
            }

            Interlocked.Increment(ref requests);
            var status = (int)response.StatusCode;
            statuses.AddOrUpdate(status.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, c) => c + 1);
            if (write && status == 201)
            {
                var created = await response.Content.ReadFromJsonAsync<Created>();
                acknowledged[name] = created!.Id;
            }
            else if (status == 503)
            {
                if (!response.Headers.Contains("Retry-After"))
                {
                    unexpected.Enqueue("503 without Retry-After");
                }

                await Task.Delay(100);
            }
            else if (status is not (200 or 201))
            {
                unexpected.Enqueue($"{status} for {(write ? "POST" : "GET")}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    })).ToArray();

    // Restarts spread over the run: stop fast (as a crash would end the sessions), wait, start again on the same port.
    for (var i = 1; i <= restarts; i++)
    {
        await Task.Delay(TimeSpan.FromSeconds(seconds * i / (restarts + 1.0)) - watch.Elapsed);
        Console.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  restarting PostgreSQL ({i}/{restarts})");
        await cluster.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        cluster = await LocalPostgres.StartAsync(bin, root, "deals", NullLogger.Instance, CancellationToken.None, port);
    }

    await Task.WhenAll(workers);
    Console.WriteLine($"{watch.Elapsed.TotalSeconds,6:0.0} s  done: {requests} requests answered ({requests / watch.Elapsed.TotalSeconds:0} req/s)");
    foreach (var (status, count) in statuses.OrderBy(s => s.Key))
    {
        Console.WriteLine($"  {status}: {count}");
    }

    await app.StopAsync();
    await using var db = new NpgsqlConnection(connection + ";Pooling=false");
    var stored = (await db.QueryAsync<(long Id, string Name)>("SELECT id, name FROM companies WHERE name LIKE 'Soak %'")).ToDictionary(r => r.Name, r => r.Id);
    var missing = acknowledged.Where(a => !stored.TryGetValue(a.Key, out var id) || id != a.Value).Select(a => a.Key).ToList();
    var extra = stored.Keys.Where(n => !acknowledged.ContainsKey(n) && !uncertain.ContainsKey(n)).ToList();
    Console.WriteLine($"Writes acknowledged: {acknowledged.Count}; stored: {stored.Count}; acknowledged but missing: {missing.Count}; " +
                      $"stored but never acknowledged: {extra.Count}; unanswered writes: {uncertain.Count}; unexpected answers: {unexpected.Count}");
    foreach (var problem in unexpected.Take(10))
    {
        Console.WriteLine($"  unexpected: {problem}");
    }

    var importedDeals = (await db.QueryAsync<(string Tag, long Deals)>(
        "SELECT split_part(b.name, ' Buyer', 1), count(*) FROM acquisitions a JOIN companies b ON b.id = a.buyer_id WHERE b.name LIKE 'SoakImport %' GROUP BY 1"))
        .ToDictionary(r => r.Tag, r => r.Deals);
    var partial = importedDeals.Count(i => i.Value != 3);
    var lostImports = imports.Count(i => i.Value && importedDeals.GetValueOrDefault(i.Key) != 3);
    var refusedButStored = imports.Count(i => !i.Value && importedDeals.ContainsKey(i.Key));
    Console.WriteLine($"Imports acknowledged: {imports.Count(i => i.Value)}; refused: {imports.Count(i => !i.Value)}; half-applied: {partial}; " +
                      $"acknowledged but missing: {lostImports}; refused but stored: {refusedButStored}");
    var ok = missing.Count == 0 && extra.Count == 0 && unexpected.IsEmpty && partial == 0 && lostImports == 0 && refusedButStored == 0;
    Console.WriteLine(ok ? "soak: PASS" : "soak: FAIL");
    return ok ? 0 : 1;
}
finally
{
    await cluster.StopAsync();
    Directory.Delete(root, recursive: true);
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

internal sealed record Created(long Id);
