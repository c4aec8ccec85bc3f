using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Deals.Benchmarks;

/// <summary>A load run's figures.</summary>
public sealed record LoadResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, double CpuMsPerRequest);

/// <summary>The external tools the benchmark drives: wrk for HTTP, pgbench for the database, and /proc for CPU and memory.</summary>
public static partial class Tools
{
    public static (int ExitCode, string Output) Run(string file, IEnumerable<string> args, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>wrk against <paramref name="url"/>, optionally with a Lua script choosing each request.</summary>
    public static LoadResult Wrk(string url, string? lua, int connections, TimeSpan duration, CpuMeter cpu)
    {
        var args = new List<string> { "-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", "--timeout", "5s" };
        string? script = null;
        if (lua is not null)
        {
            script = Path.Combine(Path.GetTempPath(), $"deals-bench-{Guid.NewGuid():N}.lua");
            File.WriteAllText(script, lua);
            args.AddRange(["-s", script]);
        }

        args.Add(url);
        cpu.Start();
        var (code, output) = Run("wrk", args);
        var cpuMs = cpu.Stop();
        if (script is not null)
        {
            File.Delete(script);
        }

        if (code != 0)
        {
            throw new InvalidOperationException("wrk failed: " + output);
        }

        var rps = Number(WrkRps().Match(output));
        var requests = Number(WrkRequests().Match(output));
        var errors = (long)(Number(WrkNon2xx().Match(output)) + SocketErrors(output));
        return new LoadResult(rps, WrkLatency(output, "50"), WrkLatency(output, "99"), errors, requests > 0 ? cpuMs / requests : 0);
    }

    /// <summary>
    /// pgbench running the scripts with prepared statements (their <c>:variables</c> sent as parameters, from
    /// <c>\set</c> lines or <paramref name="variables"/>), in sessions with the API's settings plus
    /// <paramref name="sessionOptions"/>; returns transactions per second.
    /// </summary>
    public static LoadResult PgBench(string binDir, int port, string password, string database, IReadOnlyList<string> scripts, int clients, TimeSpan duration, CpuMeter cpu,
        IReadOnlyDictionary<string, string>? variables = null, string? sessionOptions = null)
    {
        var files = scripts.Select(s =>
        {
            var file = Path.Combine(Path.GetTempPath(), $"deals-bench-{Guid.NewGuid():N}.sql");
            File.WriteAllText(file, s);
            return file;
        }).ToList();
        var args = new List<string> { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "deals", "-n", "-M", "prepared",
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2", "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) };
        foreach (var f in files)
        {
            args.AddRange(["-f", f]);
        }

        foreach (var (name, value) in variables ?? new Dictionary<string, string>())
        {
            args.AddRange(["-D", $"{name}={value}"]);
        }

        args.Add(database);
        cpu.Start();
        var (code, output) = Run(Path.Combine(binDir, "pgbench"), args, new Dictionary<string, string> { ["PGPASSWORD"] = password, ["PGOPTIONS"] = (Deals.Api.Common.Database.SessionOptions + " " + sessionOptions).Trim() });
        Thread.Sleep(300); // the run's backends exit and are reaped, so that their CPU time reaches the postmaster's children total
        var cpuMs = cpu.Stop();
        files.ForEach(File.Delete);
        if (code != 0)
        {
            throw new InvalidOperationException("pgbench failed: " + output);
        }

        var tps = Number(PgTps().Match(output));
        var transactions = Number(PgTransactions().Match(output));
        var latency = Number(PgLatency().Match(output));
        var failed = Number(PgFailed().Match(output));
        return new LoadResult(tps, latency, double.NaN, (long)failed, transactions > 0 ? cpuMs / transactions : 0);
    }

    private static double WrkLatency(string output, string percentile)
    {
        var m = Regex.Match(output, $@"^\s+{percentile}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!m.Success)
        {
            return double.NaN;
        }

        var value = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    private static double SocketErrors(string output)
    {
        var m = WrkSocket().Match(output);
        return m.Success ? m.Groups.Cast<Group>().Skip(1).Sum(g => double.Parse(g.Value, CultureInfo.InvariantCulture)) : 0;
    }

    private static double Number(Match m) => m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex WrkRps();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex WrkRequests();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex WrkNon2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex WrkSocket();

    [GeneratedRegex(@"tps = ([\d.]+) \(without initial connection time\)")]
    private static partial Regex PgTps();

    [GeneratedRegex(@"number of transactions actually processed: (\d+)")]
    private static partial Regex PgTransactions();

    [GeneratedRegex(@"latency average = ([\d.]+) ms")]
    private static partial Regex PgLatency();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex PgFailed();
}

/// <summary>CPU time of a set of processes (the API, and PostgreSQL's postmaster with all its backends), from /proc.</summary>
public sealed class CpuMeter(Func<IEnumerable<int>> pids)
{
    private static readonly double TicksPerMs = 100 / 1000.0; // USER_HZ is 100 on Linux
    private long _start;

    public void Start() => _start = Ticks();

    /// <summary>CPU milliseconds used since <see cref="Start"/>.</summary>
    public double Stop() => (Ticks() - _start) / TicksPerMs;

    private long Ticks() => pids().Sum(ProcessTicks);

    public static long ProcessTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime + stime, and cutime + cstime: the time of children that have ended, so that the backends of a pgbench
            // run, gone by the time it is measured, still count through the postmaster that reaped them.
            return fields.Skip(11).Take(4).Sum(f => long.Parse(f, CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return 0; // a backend that ended between listing and reading
        }
    }

    /// <summary>The postmaster and its children (every backend and helper process).</summary>
    public static IEnumerable<int> PostgresProcesses(int postmaster)
    {
        yield return postmaster;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && ParentOf(pid) == postmaster)
            {
                yield return pid;
            }
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>Samples a process's resident memory while a scenario runs, for its peak.</summary>
public sealed class RssSampler : IDisposable
{
    private readonly int _pid;
    private readonly Timer _timer;
    private long _peakKb;

    public RssSampler(int pid)
    {
        _pid = pid;
        _timer = new Timer(_ => Sample(), null, 0, 100);
    }

    public double PeakMb
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peakKb) / 1024.0;
        }
    }

    public void Reset() => Interlocked.Exchange(ref _peakKb, 0);

    public void Dispose() => _timer.Dispose();

    private void Sample()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                    long current;
                    while (kb > (current = Interlocked.Read(ref _peakKb)) && Interlocked.CompareExchange(ref _peakKb, kb, current) != current)
                    {
                    }

                    return;
                }
            }
        }
        catch (IOException)
        {
        }
    }
}
