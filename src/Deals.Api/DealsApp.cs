using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Audit;
using Deals.Api.Common;
using Deals.Api.Companies;
using Deals.Api.Imports;
using Deals.Api.Keys;
using Deals.Api.Products;
using Deals.Api.Stats;
using FluentValidation;
using Npgsql;

namespace Deals.Api;

/// <summary>
/// Builds the API: the table of contents of the service. <c>Program</c> runs it; the tests build the
/// same app against their own database and call it over loopback HTTP.
/// </summary>
public static class DealsApp
{
    public const string ConnectionName = "Deals";

    /// <summary>Optional: where GET requests read (streaming replicas); writes always go to <see cref="ConnectionName"/>.</summary>
    public const string ReadConnectionName = "DealsRead";

    /// <summary>Builds the app, preparing its database first. Returns null, having said why, when it cannot run.</summary>
    public static async Task<WebApplication?> CreateAsync(string[] args, bool withDatabase = true, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        var log = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddSimpleConsole(o => o.SingleLine = true))
            .CreateLogger("Deals.Startup");

        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        LocalPostgres? cluster = null;
        var migrated = false; // by this start (the local cluster, or Database:MigrateOnStart): nothing can be pending
        if (!withDatabase)
        {
            // Only the document is wanted: nothing will connect.
            connectionString = "Host=127.0.0.1;Database=unused";
        }
        else if (string.IsNullOrWhiteSpace(connectionString))
        {
            cluster = await StartLocalAsync(builder.Configuration, log);
            if (cluster is null)
            {
                return null;
            }

            connectionString = cluster.ConnectionString("deals");
            builder.Services.AddHostedService(_ => new LocalClusterLifetime(cluster));
            migrated = true;
        }
        else if (builder.Configuration.GetValue<bool>("Database:MigrateOnStart"))
        {
            Database.Migrate(connectionString, log);
            migrated = true;
        }

        var readConnectionString = builder.Configuration.GetConnectionString(ReadConnectionName);
        var primary = Database.CreateDataSource(connectionString, forWrites: true);
        var dataSources = new DataSources(primary,
            new NpgsqlConnectionStringBuilder(connectionString).Multiplexing ? Database.CreateDataSource(connectionString) : primary,
            string.IsNullOrWhiteSpace(readConnectionString) || !withDatabase ? null : Database.CreateDataSource(readConnectionString),
            Math.Max(1, builder.Configuration.GetValue<int?>("Database:HeavyQuerySlots") ?? 2 * Environment.ProcessorCount),
            Math.Max(0, builder.Configuration.GetValue<int?>("Database:ReadSlots") ?? 2 * Environment.ProcessorCount),
            Math.Max(0, builder.Configuration.GetValue<int?>("Database:LookupFlights") ?? 1));
        var reference = new ReferenceData();
        if (withDatabase)
        {
            try
            {
                await reference.LoadAsync(dataSources.Primary, CancellationToken.None);
                if (!migrated && Database.PendingMigrations(connectionString, log) is [var first, ..] pending)
                {
                    // Serving anyway answered writes with 500s: the new SQL calls what only a pending migration creates.
                    Console.Error.WriteLine(
                        $"The database schema is older than this version of Deals ({pending.Length} migration(s) not run, from {first}): " +
                        "run `dotnet run --project src/Deals.Api -- migrate` with the same ConnectionStrings__Deals, or start with Database__MigrateOnStart=true.");
                    await dataSources.DisposeAsync();
                    return null;
                }
            }
            catch (NpgsqlException e) when (e is not PostgresException && cluster is null)
            {
                // The configured server is down: start anyway, answer 503 until it is back, then load the lists.
                log.LogWarning("The database does not answer yet ({Message}); serving 503 until it does.", e.Message);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                Console.Error.WriteLine(
                    "The database has no Deals schema yet: run `dotnet run --project src/Deals.Api -- migrate` " +
                    "with the same ConnectionStrings__Deals, or start with Database__MigrateOnStart=true.");
                if (cluster is not null)
                {
                    await cluster.StopAsync();
                }

                return null;
            }
        }

        builder.AddDealsObservability();
        builder.Services.AddDeals(dataSources, reference);
        var keys = new KeyStore(dataSources.Primary, TimeSpan.FromSeconds(Math.Max(0, builder.Configuration.GetValue<double?>("Auth:KeyTrustSeconds") ?? 2)));
        builder.Services.AddSingleton(keys);
        builder.Services.AddDealsRateLimits(builder.Configuration);
        builder.Services.AddDealsAuth(builder.Configuration.GetValue<bool?>("Auth:AnonymousReads") ?? cluster is not null);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapDeals();
        if (cluster is not null)
        {
            // One admin key for the local run, the same every time, so that Swagger UI's Authorize works.
            var key = await keys.LocalAdminKeyAsync(Path.Combine(LocalDataDirectory(builder.Configuration), "admin.key"));
            Console.WriteLine($"Local admin key: {key}");
            app.Lifetime.ApplicationStarted.Register(() =>
                log.LogInformation("Deals is serving {Urls}; Swagger UI at /swagger. Press Ctrl+C to stop the API and its database.",
                    string.Join(", ", app.Urls)));
        }

        return app;
    }

    /// <summary>
    /// The local run's database: the private cluster under <c>.data/</c> (or <c>Local:DataDirectory</c>),
    /// migrated and loaded with the sample deals. Null, having said what to do, without PostgreSQL binaries.
    /// </summary>
    internal static async Task<LocalPostgres?> StartLocalAsync(IConfiguration configuration, ILogger log)
    {
        var bin = LocalPostgres.FindBinaries(configuration["Local:PostgresBin"]);
        if (bin is null)
        {
            Console.Error.WriteLine(
                "No PostgreSQL server binaries were found: install PostgreSQL (for example `apt-get install postgresql`), " +
                "set Local__PostgresBin to the folder holding initdb and pg_ctl, or set ConnectionStrings__Deals to use an existing server.");
            return null;
        }

        var cluster = await LocalPostgres.StartAsync(bin, LocalDataDirectory(configuration), "deals", log, CancellationToken.None);
        var connectionString = cluster.ConnectionString("deals");
        Database.Migrate(connectionString, log);
        Database.Seed(connectionString, log);
        return cluster;
    }

    /// <summary>Where the local run keeps its cluster and its admin key.</summary>
    internal static string LocalDataDirectory(IConfiguration configuration) =>
        configuration["Local:DataDirectory"] ?? Path.Combine(RepositoryRoot(), ".data");

    private static IServiceCollection AddDeals(this IServiceCollection services, DataSources dataSources, ReferenceData reference)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        Validation.UseJsonNames();

        services.AddSingleton(dataSources);
        services.AddReadRouting();
        services.AddSingleton(reference);
        services.AddSingleton(TimeProvider.System);
        services.AddScoped<CompanyStore>();
        services.AddScoped<ProductStore>();
        services.AddScoped<AcquisitionStore>();
        services.AddScoped<AuditStore>();
        services.AddScoped<ControlStore>();
        services.AddScoped<CompanyMergeStore>();
        services.AddScoped<StatsStore>();
        services.AddSingleton<ImportStore>();
        services.AddValidatorsFromAssemblyContaining<CompanyRequestValidator>(ServiceLifetime.Singleton);

        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.Customize);
        // After the built-in writer, so that it answers only what that one declines.
        services.AddSingleton<Microsoft.AspNetCore.Http.IProblemDetailsWriter, FallbackProblemWriter>();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddDealsOpenApi();
        services.AddRequestBodies();
        return services;
    }

    private static WebApplication MapDeals(this WebApplication app)
    {
        app.UseDealsObservability();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseOptionsAllow();
        app.UseReadRouting();
        app.UseDealsOpenApi();

        app.UseReferenceData();
        app.UseDealsAuth();
        app.UseDealsRateLimits();
        app.UseNegotiation();
        app.UseRequestBodies();
        app.UseIdempotency();

        app.MapGet("/", () => Results.Redirect("/swagger")).ExcludeFromDescription();
        app.MapProblemTypes();
        app.MapHealth();
        // JSON bodies are small: 1 MB is plenty and keeps a hostile client from tying up memory. Imports stream, unbounded.
        var v1 = app.MapGroup("").RequireKeys().WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(1024 * 1024));
        v1.MapCompaniesApi();
        v1.MapProductsApi();
        v1.MapAcquisitionsApi();
        v1.MapStatsApi();
        v1.MapImportsApi();
        v1.MapAuditApi().RequireAuthorization(Auth.Admin);
        v1.MapKeysApi();
#if BENCHMARK
        // The HTTP limit of this process: a fixed small JSON document, no database. Benchmark builds only.
        app.MapGet("/_bench/fixed", () => TypedResults.Ok(new { id = 1, slug = "red-hat", name = "Red Hat" })).ExcludeFromDescription();
        // Lookups by key made and statements sent for them so far (LookupBatches), so the benchmark can say how many lookups a statement served.
        app.MapGet("/_bench/lookups", (DataSources sources) =>
        {
            var (lookups, statements) = sources.LookupBatches?.Counts ?? default;
            return TypedResults.Ok(new { lookups, statements });
        }).ExcludeFromDescription();
#endif
        return app;
    }

    /// <summary>The checkout the API runs from (the folder holding Deals.sln), so <c>.data/</c> lands beside the code whatever the working directory.</summary>
    internal static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Deals.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }

    /// <summary>Stops the private cluster after the web server has stopped.</summary>
    private sealed class LocalClusterLifetime(LocalPostgres cluster) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => cluster.StopAsync();
    }
}
