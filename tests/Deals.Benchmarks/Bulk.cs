using System.Diagnostics;
using System.Net.Http.Headers;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Imports;
using Npgsql;

namespace Deals.Benchmarks;

/// <summary>Export and import throughput, each next to what PostgreSQL itself does with the same rows (COPY).</summary>
public static class Bulk
{
    public sealed record Throughput(double Deals, double Limit, string Unit, double PeakRssMb, double SchemaLimit = double.NaN);

    /// <summary>
    /// MB/s of the CSV export through the API against COPY (SELECT the same query) TO STDOUT. The query sends dates as
    /// stored (start and precision) for the API to write, so COPY's text differs from the CSV by a few bytes a row: the
    /// limit is the API's CSV at COPY's speed (its bytes over COPY's seconds), and the ratio one of times for the same rows.
    /// </summary>
    public static async Task<Throughput> ExportAsync(string baseUrl, string connectionString, string query, RssSampler rss, int runs)
    {
        var reference = new ReferenceData();
        await using (var source = NpgsqlDataSource.Create(connectionString))
        {
            await reference.LoadAsync(source, CancellationToken.None);
        }

        var api = new List<double>();
        var db = new List<double>();
        rss.Reset();
        for (var i = 0; i < runs; i++)
        {
            using var http = new HttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/v1/acquisitions?{query}");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            var bytes = await DrainAsync(body);
            api.Add(bytes / 1e6 / watch.Elapsed.TotalSeconds);

            var filters = new AcquisitionFilters { AnnouncedFrom = "2015", AnnouncedTo = "2019-05" };
            var sql = CsvExport.Sql(AcquisitionQuery.From(filters, null, null, reference))
                .Replace("@AnnouncedFrom", "'2015-01-01'::date", StringComparison.Ordinal).Replace("@AnnouncedTo", "'2019-05-31'::date", StringComparison.Ordinal);
            // With the API's own session settings (JIT off).
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Options = Database.SessionOptions }.ConnectionString);
            await connection.OpenAsync();
            watch.Restart();
            using var copy = await connection.BeginTextExportAsync($"COPY ({sql}) TO STDOUT (FORMAT csv)");
            var buffer = new char[65536];
            while (await copy.ReadAsync(buffer) > 0)
            {
            }

            db.Add(bytes / 1e6 / watch.Elapsed.TotalSeconds);
        }

        return new Throughput(Median(api), Median(db), "MB/s", rss.PeakMb);
    }

    /// <summary>Rows/s of POST /v1/imports of a canonical CSV into an empty database, against psql \copy of the same file into a bare table.</summary>
    public static async Task<Throughput> ImportAsync(string baseUrl, string key, string file, long rows, string binDir, int port, string password, string database, RssSampler rss)
    {
        rss.Reset();
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        await using var content = File.OpenRead(file);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/imports") { Content = new StreamContent(content) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var report = await response.Content.ReadAsStringAsync();
        var apiSeconds = watch.Elapsed.TotalSeconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("Import failed: " + report);
        }

        var env = new Dictionary<string, string> { ["PGPASSWORD"] = password };
        string[] connect = ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "deals", "-d", database, "-q", "-c"];
        // One text column per canonical import column, in the export's order: the file is an export.
        var columns = string.Join(", ", Deals.Api.Imports.ImportReader.DealColumns.Select(c => c + " text"));
        Tools.Run(Path.Combine(binDir, "psql"), [.. connect, $"CREATE TABLE IF NOT EXISTS bare_import ({columns}); TRUNCATE bare_import"], env);
        watch.Restart();
        var (code, output) = Tools.Run(Path.Combine(binDir, "psql"), [.. connect, $"\\copy bare_import FROM '{file}' CSV HEADER"], env);
        var copySeconds = watch.Elapsed.TotalSeconds;
        if (code != 0)
        {
            throw new InvalidOperationException("psql \\copy failed: " + output);
        }

        Console.WriteLine($"Import report: {report[..Math.Min(report.Length, 200)]}");
        // DESIGN: importing the export into an empty database reproduces the same data, so every row is a new deal.
        using (var counts = System.Text.Json.JsonDocument.Parse(report))
        {
            long Count(string name) => counts.RootElement.GetProperty(name).GetInt64();
            if (Count("created") != rows || Count("updated") + Count("unchanged") + Count("rejected") != 0)
            {
                throw new InvalidOperationException($"The export of {rows:N0} deals did not import back as {rows:N0} new deals: {report[..Math.Min(report.Length, 2000)]}");
            }
        }

        var schemaRowsPerSecond = await SchemaInsertRateAsync(new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "deals", Password = password, Database = database }.ConnectionString);
        return new Throughput(rows / apiSeconds, rows / copySeconds, "rows/s", rss.PeakMb, schemaRowsPerSecond);
    }

    /// <summary>
    /// How fast PostgreSQL itself stores the same deals in the real schema (rows/s): one INSERT ... SELECT of the first
    /// 100,000 imported acquisitions into the emptied table, with its indexes, foreign keys and audit trigger, rolled back afterwards.
    /// </summary>
    private static async Task<double> SchemaInsertRateAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        // Every stored column (generated ones are computed again), as the table has them now.
        string columns;
        await using (var list = new NpgsqlCommand("""
            SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
            FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'acquisitions' AND is_generated = 'NEVER'
            """, connection, transaction))
        {
            columns = (string)(await list.ExecuteScalarAsync())!;
        }

        await using (var prepare = new NpgsqlCommand($"CREATE TEMP TABLE schema_rows ON COMMIT DROP AS SELECT {columns} FROM acquisitions ORDER BY id LIMIT 100000; TRUNCATE acquisitions CASCADE", connection, transaction))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        var watch = Stopwatch.StartNew();
        int rows;
        await using (var insert = new NpgsqlCommand($"INSERT INTO acquisitions ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM schema_rows", connection, transaction) { CommandTimeout = 0 })
        {
            rows = await insert.ExecuteNonQueryAsync();
        }

        var seconds = watch.Elapsed.TotalSeconds;
        await transaction.RollbackAsync();
        return rows / seconds;
    }

    private static async Task<long> DrainAsync(Stream stream)
    {
        var buffer = new byte[65536];
        var total = 0L;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
