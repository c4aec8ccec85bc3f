using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// A private PostgreSQL cluster in a directory of its own: created on first use, started on a free
/// loopback port, reused on later runs and stopped on shutdown. The local run keeps it under
/// <c>.data/</c>; the tests keep theirs in a temporary directory.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    private const string Superuser = "deals";
    private readonly string _binDir;
    private readonly string _root;
    private readonly ILogger _logger;

    private LocalPostgres(string binDir, string root, int port, string password, ILogger logger)
    {
        _binDir = binDir;
        _root = root;
        _logger = logger;
        Port = port;
        Password = password;
    }

    public int Port { get; }

    private string Password { get; }

    private string DataDir => DataDirOf(_root);

    private static string DataDirOf(string root) => Path.Combine(root, "pg");

    /// <summary>A connection string to <paramref name="database"/> on this cluster.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = Superuser,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>Finds the server binaries: a configured folder, then <c>pg_config --bindir</c>, then the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public static string? FindBinaries(string? configured)
    {
        static bool Usable(string? dir) => dir is not null
            && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Usable(configured) ? configured : null;
        }

        try
        {
            var fromPgConfig = Run("pg_config", ["--bindir"], asPostgresUser: false, throwOnError: false).Output.Trim();
            if (Usable(fromPgConfig))
            {
                return fromPgConfig;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // pg_config is not on PATH; look in the usual place instead.
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot))
        {
            return null;
        }

        return Directory.GetDirectories(debianRoot)
            .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0, Bin: Path.Combine(d, "bin")))
            .Where(x => Usable(x.Bin))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault();
    }

    /// <summary>Creates the cluster under <paramref name="root"/> when it does not exist yet, starts it (or adopts one already running there) and makes sure <paramref name="database"/> exists.</summary>
    public static async Task<LocalPostgres> StartAsync(string binDir, string root, string database, ILogger logger, CancellationToken cancellationToken, int? port = null)
    {
        Directory.CreateDirectory(root);
        if (RunningAsRoot)
        {
            // The server runs as the postgres user, which must be able to reach its directory.
            File.SetUnixFileMode(root, File.GetUnixFileMode(root) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        }

        var passwordFile = Path.Combine(root, "password");
        var dataDir = DataDirOf(root);
        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            logger.LogInformation("Creating a private PostgreSQL cluster in {DataDir}", dataDir);
            InitDb(binDir, root, dataDir, passwordFile);
        }

        var password = (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim();
        var running = RunningPort(dataDir);
        if (running is null)
        {
            port ??= FreePort();
            var log = Path.Combine(root, "postgres.log");
            if (RunningAsRoot && !File.Exists(log))
            {
                await File.WriteAllTextAsync(log, "", cancellationToken);
                Chown(log);
            }

            Run(Path.Combine(binDir, "pg_ctl"),
                ["start", "-D", dataDir, "-w", "-t", "60", "-l", log,
                 "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"],
                asPostgresUser: RunningAsRoot);
            logger.LogInformation("Started PostgreSQL on 127.0.0.1:{Port} (data in {DataDir})", port, dataDir);
        }
        else
        {
            port = running;
            logger.LogInformation("Reusing PostgreSQL already running on 127.0.0.1:{Port} (data in {DataDir})", port, dataDir);
        }

        var cluster = new LocalPostgres(binDir, root, port.Value, password, logger);
        await cluster.EnsureDatabaseAsync(database, template: null, cancellationToken);
        return cluster;
    }

    /// <summary>
    /// A streaming standby of <paramref name="primary"/> in <paramref name="root"/>: a base backup
    /// taken with <c>pg_basebackup -R</c> on first use, then started like any local cluster.
    /// </summary>
    public static async Task<LocalPostgres> StartStandbyAsync(string binDir, LocalPostgres primary, string root, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        var dataDir = DataDirOf(root);
        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            if (RunningAsRoot)
            {
                File.SetUnixFileMode(root, File.GetUnixFileMode(root) | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
            }

            Directory.CreateDirectory(dataDir);
            File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (RunningAsRoot)
            {
                Chown(dataDir);
            }

            var source = $"host=127.0.0.1 port={primary.Port} user={Superuser} password={primary.Password}";
            Run(Path.Combine(binDir, "pg_basebackup"), ["-d", source, "-D", dataDir, "-R", "-X", "stream", "-c", "fast"], asPostgresUser: RunningAsRoot);
            var passwordFile = Path.Combine(root, "password");
            await File.WriteAllTextAsync(passwordFile, primary.Password, cancellationToken);
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            logger.LogInformation("Made a standby of 127.0.0.1:{Port} in {DataDir}", primary.Port, dataDir);
        }

        return await StartAsync(binDir, root, "postgres", logger, cancellationToken);
    }

    /// <summary>Creates <paramref name="database"/> unless it exists, optionally as a copy of <paramref name="template"/>.</summary>
    public async Task EnsureDatabaseAsync(string database, string? template, CancellationToken cancellationToken)
    {
        // Unpooled: a pooled session may predate a restart of this server and be dead.
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        var sql = $"CREATE DATABASE {Quote(database)}" + (template is null ? "" : $" TEMPLATE {Quote(template)}");
        await using var create = new NpgsqlCommand(sql, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stops the server and waits for it to finish its shutdown checkpoint.</summary>
    public Task StopAsync()
    {
        if (RunningPort(DataDir) is not null)
        {
            Run(Path.Combine(_binDir, "pg_ctl"), ["stop", "-D", DataDir, "-m", "fast", "-w", "-t", "60"],
                asPostgresUser: RunningAsRoot, throwOnError: false);
            _logger.LogInformation("Stopped PostgreSQL (data in {DataDir})", DataDir);
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static void InitDb(string binDir, string root, string dataDir, string passwordFile)
    {
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        File.WriteAllText(passwordFile, password);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // initdb reads the password from a file that only it (and the current user) can read.
        var initPasswordFile = Path.Combine(root, ".initdb-password");
        File.WriteAllText(initPasswordFile, password);
        File.SetUnixFileMode(initPasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.CreateDirectory(dataDir);
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (RunningAsRoot)
        {
            Chown(initPasswordFile);
            Chown(dataDir);
        }

        try
        {
            Run(Path.Combine(binDir, "initdb"),
                ["-D", dataDir, "-U", Superuser, "--pwfile", initPasswordFile, "--auth", "scram-sha-256",
                 "-E", "UTF8", "--locale", "C.UTF-8", "--no-instructions"],
                asPostgresUser: RunningAsRoot);
        }
        finally
        {
            File.Delete(initPasswordFile);
        }
    }

    /// <summary>The port of a server already running on <paramref name="dataDir"/>, from its postmaster.pid.</summary>
    private static int? RunningPort(string dataDir)
    {
        var pidFile = Path.Combine(dataDir, "postmaster.pid");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(pidFile);
        }
        catch (IOException)
        {
            return null;
        }

        if (lines.Length < 4 || !int.TryParse(lines[0], out var pid) || !int.TryParse(lines[3], out var port))
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : port;
        }
        catch (ArgumentException)
        {
            return null; // a stale pid file left by a crash; pg_ctl start cleans it up
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool RunningAsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    private static void Chown(string path) => Run("chown", ["postgres:postgres", path], asPostgresUser: false);

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static (int ExitCode, string Output) Run(string file, IReadOnlyList<string> args, bool asPostgresUser, bool throwOnError = true)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgresUser)
        {
            foreach (var a in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} failed with exit code {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }

        return (process.ExitCode, stdout.Result);
    }
}
