using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Deals.Api.Imports;

namespace Deals.Cli;

/// <summary>What to import and how to read it.</summary>
public sealed record ImportOptions(
    string File, Uri Api, string? Key, IReadOnlyDictionary<string, string> Map, IReadOnlyDictionary<string, string> Set,
    bool ParsePrices, int BatchSize, string Rejects, string Checkpoint, bool DryRun, string? DefaultCurrency, string? Registry = null);

/// <summary>An input the importer cannot read without guessing (a column named twice): nothing of it is sent.</summary>
public sealed class ImportInputException(string message) : Exception(message);

/// <summary>The totals of an import, summed over its batches.</summary>
public sealed record ImportSummary(long Rows, long Created, long Updated, long Unchanged, long Rejected, long CompaniesCreated, long ProductsCreated, long Skipped);

/// <summary>
/// Streams a CSV or NDJSON file of any size to <c>POST /v1/imports</c> in batches of canonical CSV,
/// mapping source columns and constants onto the canonical ones. After each batch the checkpoint
/// file records how many source rows are done, so an interrupted import resumes after them (and a
/// batch sent twice changes nothing: imports are idempotent). Rejected rows go to a CSV with the
/// source line, field, value and reason.
/// </summary>
public sealed class Importer(ImportOptions options, HttpClient http)
{
    private static readonly string[] Canonical =
        ["buyer", "target", "announced_on", "closed_on", "status", "type", "price_amount", "price_currency", "products",
         "buyer_country", "target_country", "source_url", "notes", "terms", "disposition", "buyer_external_id", "target_external_id"];

    public async Task<ImportSummary> RunAsync(Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var done = File.Exists(options.Checkpoint) && long.TryParse(await File.ReadAllTextAsync(options.Checkpoint, cancellationToken), out var saved) ? saved : 0;
        var total = new ImportSummary(0, 0, 0, 0, 0, 0, 0, done);
        var totalBytes = new FileInfo(options.File).Length;
        await using var stream = File.OpenRead(options.File);
        await using var rejects = new StreamWriter(options.Rejects, append: done > 0, new UTF8Encoding(false));
        await using var rejectsCsv = new CsvWriter(rejects, CultureInfo.InvariantCulture);
        if (done == 0)
        {
            rejectsCsv.WriteField("line");
            rejectsCsv.WriteField("field");
            rejectsCsv.WriteField("value");
            rejectsCsv.WriteField("reason");
            await rejectsCsv.NextRecordAsync();
        }

        var batch = new List<(long Line, string[] Fields)>(options.BatchSize);
        var index = 0L;
        await foreach (var (line, row, fault) in ReadAsync(stream, cancellationToken))
        {
            index++;
            if (index <= done)
            {
                continue; // done before an interruption
            }

            var (fields, error) = fault is null ? ToCanonical(row) : (null, fault);
            if (error is not null)
            {
                total = total with { Rows = total.Rows + 1, Rejected = total.Rejected + 1 };
                await WriteRejectAsync(rejectsCsv, line, error.Value.Field, error.Value.Value, error.Value.Reason);
            }
            else
            {
                batch.Add((line, fields!));
            }

            if (batch.Count == options.BatchSize)
            {
                total = await SendAsync(batch, total, rejectsCsv, cancellationToken);
                await SaveCheckpointAsync(index, cancellationToken);
                progress?.Invoke(stream.Position, totalBytes);
            }
        }

        total = await SendAsync(batch, total, rejectsCsv, cancellationToken);
        await SaveCheckpointAsync(index, cancellationToken);
        progress?.Invoke(totalBytes, totalBytes);
        File.Delete(options.Checkpoint); // finished: a new run starts from the top
        return total;
    }

    private async Task SaveCheckpointAsync(long rows, CancellationToken cancellationToken)
    {
        if (!options.DryRun)
        {
            await File.WriteAllTextAsync(options.Checkpoint, rows.ToString(CultureInfo.InvariantCulture), cancellationToken);
        }
    }

    private async Task<ImportSummary> SendAsync(List<(long Line, string[] Fields)> batch, ImportSummary total, CsvWriter rejects, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return total;
        }

        var body = new StringBuilder();
        await using (var writer = new StringWriter(body))
        await using (var csv = new CsvWriter(writer, CultureInfo.InvariantCulture))
        {
            foreach (var column in Canonical)
            {
                csv.WriteField(column);
            }

            await csv.NextRecordAsync();
            foreach (var (_, fields) in batch)
            {
                foreach (var field in fields)
                {
                    csv.WriteField(field);
                }

                await csv.NextRecordAsync();
            }
        }

        var query = new List<string>();
        if (options.DryRun)
        {
            query.Add("dryRun=true");
        }

        if (options.DefaultCurrency is { } currency)
        {
            query.Add("defaultCurrency=" + Uri.EscapeDataString(currency));
        }

        if (options.Registry is { } registry)
        {
            query.Add("registry=" + Uri.EscapeDataString(registry));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Api, "/v1/imports" + (query.Count > 0 ? "?" + string.Join('&', query) : "")))
        {
            Content = new StringContent(body.ToString(), new UTF8Encoding(false), "text/csv"),
        };
        if (options.Key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Key);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"The API answered {(int)response.StatusCode}: {text}");
        }

        using var report = JsonDocument.Parse(text);
        var r = report.RootElement;
        foreach (var rejection in r.GetProperty("rejections").EnumerateArray())
        {
            // The batch's line 1 is its header: line n is the batch's row n - 1.
            var batchLine = rejection.GetProperty("line").GetInt64();
            var source = batchLine >= 2 && batchLine - 2 < batch.Count ? batch[(int)(batchLine - 2)].Line : batchLine;
            await WriteRejectAsync(rejects, source, rejection.GetProperty("field").GetString()!,
                rejection.GetProperty("value").ValueKind == JsonValueKind.String ? rejection.GetProperty("value").GetString() : null,
                rejection.GetProperty("reason").GetString()!);
        }

        batch.Clear();
        return total with
        {
            Rows = total.Rows + r.GetProperty("rows").GetInt64(),
            Created = total.Created + r.GetProperty("created").GetInt64(),
            Updated = total.Updated + r.GetProperty("updated").GetInt64(),
            Unchanged = total.Unchanged + r.GetProperty("unchanged").GetInt64(),
            Rejected = total.Rejected + r.GetProperty("rejected").GetInt64(),
            CompaniesCreated = total.CompaniesCreated + r.GetProperty("companiesCreated").GetInt64(),
            ProductsCreated = total.ProductsCreated + r.GetProperty("productsCreated").GetInt64(),
        };
    }

    private static async Task WriteRejectAsync(CsvWriter csv, long line, string field, string? value, string reason)
    {
        csv.WriteField(line);
        csv.WriteField(field);
        csv.WriteField(value);
        csv.WriteField(reason);
        await csv.NextRecordAsync();
    }

    /// <summary>A source row in the canonical columns: mapped, constants set, prices read when asked.</summary>
    private (string[]? Fields, (string Field, string? Value, string Reason)? Error) ToCanonical(IReadOnlyDictionary<string, string?> row)
    {
        var fields = new string[Canonical.Length];
        for (var i = 0; i < Canonical.Length; i++)
        {
            var column = Canonical[i];
            fields[i] = options.Set.TryGetValue(column, out var constant) ? constant
                : row.TryGetValue(options.Map.TryGetValue(column, out var source) ? source : column, out var value) ? value ?? "" : "";
        }

        if (options.ParsePrices)
        {
            var amountIndex = Array.IndexOf(Canonical, "price_amount");
            var currencyIndex = Array.IndexOf(Canonical, "price_currency");
            var (amount, currency, error) = PriceParser.Parse(fields[amountIndex]);
            if (error is not null)
            {
                return (null, ("price_amount", fields[amountIndex], error));
            }

            fields[amountIndex] = amount?.ToString(CultureInfo.InvariantCulture) ?? "";
            if (amount is not null && currency is not null && string.IsNullOrWhiteSpace(fields[currencyIndex]))
            {
                fields[currencyIndex] = currency;
            }
        }

        return (fields, null);
    }

    /// <summary>
    /// Source rows with their line numbers (CSV: the header is line 1, and a row's line is the one it starts on; NDJSON:
    /// one object per line), or the fault that keeps a row from being read exactly: a CSV row with more or fewer values
    /// than the header, a line that is not a JSON object or gives a property twice.
    /// </summary>
    private async IAsyncEnumerable<(long Line, IReadOnlyDictionary<string, string?> Row, (string Field, string? Value, string Reason)? Fault)> ReadAsync(
        Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var empty = new Dictionary<string, string?>();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (options.File.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase) || options.File.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            var line = 0L;
            while (await reader.ReadLineAsync(cancellationToken) is { } text)
            {
                line++;
                if (string.IsNullOrWhiteSpace(text))
                {
                    continue;
                }

                var (row, fault) = FromJson(text);
                yield return (line, row ?? empty, fault);
            }

            yield break;
        }

        // A quoted value that goes on after its closing quote ('"Acme" Inc' reads as 'Acme Inc') or is never closed.
        var badQuote = false;
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = args => badQuote |= args.Field.StartsWith('"'),
            MissingFieldFound = null,
        });
        await csv.ReadAsync();
        csv.ReadHeader();
        var header = csv.HeaderRecord!;
        badQuote = false; // only rows are flagged
        var repeated = header.Select(h => h.Trim()).GroupBy(h => h, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0)
        {
            throw new ImportInputException(RecordFaults.Repeated(repeated));
        }

        while (await csv.ReadAsync())
        {
            var raw = csv.Parser.RawRecord.AsSpan().TrimEnd("\r\n");
            var line = csv.Parser.RawRow - raw.Count('\n');
            if (csv.Parser.Count != header.Length)
            {
                yield return (line, empty, ("record", raw.ToString(), RecordFaults.Width(csv.Parser.Count, header.Length, raw)));
                continue;
            }

            var row = new Dictionary<string, string?>(header.Length, StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < header.Length; i++)
            {
                row[header[i].Trim()] = csv.Parser[i];
            }

            if (badQuote)
            {
                badQuote = false;
                yield return (line, empty, ("record", raw.ToString(), RecordFaults.BadQuote));
                continue;
            }

            yield return (line, row, null);
        }
    }

    /// <summary>One NDJSON line as a row, or why it is not one.</summary>
    private static (Dictionary<string, string?>? Row, (string Field, string? Value, string Reason)? Fault) FromJson(string text)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return (null, ("record", text, "Not JSON."));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, ("record", text, "Each line must be a JSON object."));
            }

            var row = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var p in document.RootElement.EnumerateObject())
            {
                string name;
                string? value;
                try
                {
                    name = p.Name;
                    value = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Null => null,
                        _ => p.Value.GetRawText(),
                    };
                }
                catch (InvalidOperationException)
                {
                    return (null, ("record", text, RecordFaults.HalfSurrogate));
                }

                if (!row.TryAdd(name, value))
                {
                    return (null, (name, null, RecordFaults.Twice(name)));
                }
            }

            return (row, null);
        }
    }
}
