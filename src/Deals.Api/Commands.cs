using Deals.Api.Common;

namespace Deals.Api;

/// <summary>The one-off commands of the API host.</summary>
public static class Commands
{
    /// <summary><c>migrate</c>: applies <c>db/migrations</c> to the configured server.</summary>
    public static Task<int> MigrateAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var connectionString = configuration.GetConnectionString(DealsApp.ConnectionName);
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        var log = loggers.CreateLogger("Deals.Migrate");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            Console.Error.WriteLine("Set ConnectionStrings__Deals to the server to migrate (the local run migrates its own database by itself).");
            return Task.FromResult(1);
        }

        Database.Migrate(connectionString, log);
        log.LogInformation("The database is up to date.");
        return Task.FromResult(0);
    }

    /// <summary>
    /// <c>generate [--deals N]</c>: adds N synthetic deals (default 1,000,000, with N/5 companies and
    /// 3N/10 products) to the configured server, or to the local run's database.
    /// </summary>
    public static async Task<int> GenerateAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args.Where(a => a.Contains('=', StringComparison.Ordinal))])
            .Build();
        var i = Array.IndexOf(args, "--deals");
        var deals = i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));
        var log = loggers.CreateLogger("Deals.Generate");

        var connectionString = configuration.GetConnectionString(DealsApp.ConnectionName);
        LocalPostgres? cluster = null;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            cluster = await DealsApp.StartLocalAsync(configuration, log);
            if (cluster is null)
            {
                return 1;
            }

            connectionString = cluster.ConnectionString("deals");
        }

        try
        {
            await Tools.Generator.GenerateAsync(connectionString, Tools.Generator.Size.For(deals), m => log.LogInformation("{Progress}", m));
            return 0;
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.StopAsync();
            }
        }
    }

    /// <summary>
    /// <c>keys create --role ROLE --name NAME [--expires DATE]</c> (prints the key once), <c>keys list</c>,
    /// <c>keys revoke ID</c>: against the configured server, or the local run's database.
    /// </summary>
    public static async Task<int> KeysAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args.Where(a => a.Contains('=', StringComparison.Ordinal))])
            .Build();
        string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var verb = args.FirstOrDefault(a => !a.StartsWith('-'));
        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
        var log = loggers.CreateLogger("Deals.Keys");

        var connectionString = configuration.GetConnectionString(DealsApp.ConnectionName);
        LocalPostgres? cluster = null;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            cluster = await DealsApp.StartLocalAsync(configuration, log);
            if (cluster is null)
            {
                return 1;
            }

            connectionString = cluster.ConnectionString("deals");
        }

        try
        {
            await using var db = Npgsql.NpgsqlDataSource.Create(connectionString);
            var keys = new Keys.KeyStore(db);
            switch (verb)
            {
                case "create" when Enum.TryParse<Keys.Role>(Option("--role"), ignoreCase: true, out var role) && Option("--name") is { } name:
                    DateTimeOffset? expires = Option("--expires") is { } e
                        ? DateTimeOffset.Parse(e, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal)
                        : null;
                    var (id, key) = await keys.CreateAsync(name, role, expires);
                    Console.WriteLine($"Key {id} ({Keys.KeyStore.Name(role)}, {name}): {key}");
                    Console.WriteLine("It is shown only now: only its hash is kept.");
                    return 0;
                case "list":
                    foreach (var k in await keys.ListAsync())
                    {
                        Console.WriteLine($"{k.Id}\t{k.Role}\t{k.Name}\tcreated {k.CreatedAt:u}\t{(k.ExpiresAt is { } x ? $"expires {x:u}" : "no expiry")}\t{(k.RevokedAt is { } r ? $"revoked {r:u}" : "active")}");
                    }

                    return 0;
                case "revoke" when args.Length > 1 && long.TryParse(args[Array.IndexOf(args, "revoke") + 1], out var revoke):
                    var done = await keys.RevokeAsync(revoke);
                    Console.WriteLine(done ? $"Key {revoke} revoked." : $"No active key {revoke}.");
                    return done ? 0 : 1;
                default:
                    Console.Error.WriteLine("Usage: keys create --role reader|writer|admin --name NAME [--expires 2027-01-01] | keys list | keys revoke ID");
                    return 2;
            }
        }
        finally
        {
            if (cluster is not null)
            {
                await cluster.StopAsync();
            }
        }
    }

    /// <summary><c>openapi [FILE]</c>: serves the app on a loopback port just long enough to save its live document.</summary>
    public static async Task<int> WriteOpenApiAsync(string[] args)
    {
        var file = args.FirstOrDefault(a => !a.StartsWith('-')) ?? Path.Combine(DealsApp.RepositoryRoot(), "openapi", "deals.v1.json");
        var app = (await DealsApp.CreateAsync([.. args.Where(a => a.StartsWith('-')), "--urls=http://127.0.0.1:0"], withDatabase: false))!;
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var document = await http.GetStringAsync(OpenApi.DocumentPath);
            await File.WriteAllTextAsync(file, document);
            Console.WriteLine($"Wrote {file}");
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
