using System.Diagnostics;
using System.Text.RegularExpressions;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>The README's examples, as a newcomer runs them: a local-run API (anonymous reads, sample data).</summary>
public sealed class ReadmeFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Auth:AnonymousReads=true"];
}

public sealed partial class ReadmeTests(ReadmeFixture api) : IClassFixture<ReadmeFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("deals-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    public async Task Every_curl_example_of_the_readme_runs_against_the_api_in_order()
    {
        Skip.IfNot(File.Exists("/usr/bin/curl"), "curl is not installed.");
        var readme = await File.ReadAllTextAsync(Path.Combine(DealsApp.RepositoryRoot(), "README.md"));
        var commands = Blocks().Matches(readme)
            .SelectMany(block => Regex.Replace(block.Groups[1].Value, @"\\\n\s*", " ").Split('\n'))
            .Select(line => line.Trim())
            .Where(line => (line.StartsWith("curl ", StringComparison.Ordinal) || line.StartsWith("printf ", StringComparison.Ordinal))
                           && !Placeholder().IsMatch(line))
            .ToList();
        Assert.True(commands.Count >= 20, $"only {commands.Count} examples found");

        var baseUrl = api.Client.BaseAddress!.ToString().TrimEnd('/');
        foreach (var command in commands)
        {
            // Fail on any HTTP error, as a person reading the answer would notice it.
            var run = command.Replace("http://localhost:5080", baseUrl, StringComparison.Ordinal).Replace("curl -s", "curl -sS --fail-with-body", StringComparison.Ordinal);
            var start = new ProcessStartInfo("bash", ["-c", run]) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["DEALS_KEY"] = api.AdminKey;
            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"README example failed ({process.ExitCode}): {command}\n{error}\n{output}");
        }
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Blocks();

    // Examples that need a value only the reader has (an audit entry id).
    [GeneratedRegex(@"\b[A-Z]+_ID\b")]
    private static partial Regex Placeholder();
}
