using System.Globalization;
using CsvHelper;

namespace Deals.Api.Tests.Infrastructure;

/// <summary>The real Crunchbase export beside the checkout (../shared/data), mapped onto the canonical import columns.</summary>
public static class CrunchbaseSample
{
    public static string FilePath => Path.Combine(DealsApp.RepositoryRoot(), "..", "shared", "data", "crunchbase-acquisitions.csv");

    /// <summary>
    /// A canonical CSV with one column per (canonical, source) pair, and each record's line in that CSV (where it starts:
    /// a few names span lines) with its source fields.
    /// </summary>
    public static async Task<(string Body, List<(long Line, Dictionary<string, string> Source)> Records)> ToCanonicalAsync(
        params (string Canonical, string Source)[] columns)
    {
        var lines = new List<string> { string.Join(',', columns.Select(c => c.Canonical)) };
        var records = new List<(long, Dictionary<string, string>)>();
        using var reader = new StreamReader(FilePath);
        using var csv = new CsvReader(reader, CultureInfo.InvariantCulture);
        await csv.ReadAsync();
        csv.ReadHeader();
        while (await csv.ReadAsync())
        {
            var source = csv.HeaderRecord!.ToDictionary(h => h, h => csv.GetField(h) ?? "");
            records.Add((1 + lines.Sum(l => 1 + l.Count('\n')), source));
            lines.Add(string.Join(',', columns.Select(c => "\"" + source[c.Source].Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")));
        }

        return (string.Join('\n', lines) + "\n", records);
    }
}
