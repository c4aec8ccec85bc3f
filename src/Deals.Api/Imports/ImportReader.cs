using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Deals.Api.Common;

namespace Deals.Api.Imports;

/// <summary>One input record: its line (or position) and its canonical fields as text.</summary>
public sealed record ImportRecord(long Line, IReadOnlyDictionary<string, string?> Fields)
{
    public string? this[string column] => Fields.TryGetValue(column, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

/// <summary>
/// Reads deal records as they arrive, never the whole upload: CSV with a header row, NDJSON (one
/// object per line) or a JSON array. Unknown columns are refused up front, so that a misspelt header
/// never drops a column silently.
/// </summary>
public static class ImportReader
{
    /// <summary>The deal's own columns, in the order the CSV export writes them.</summary>
    public static readonly string[] DealColumns =
    [
        "buyer", "target", "announced_on", "closed_on", "status", "type", "price_amount", "price_currency",
        "products", "buyer_country", "target_country", "source_url", "notes", "terms", "disposition",
    ];

    /// <summary>Every column an import reads: the deal's, and each company's id in another registry (named by <c>?registry=</c>).</summary>
    public static readonly string[] Columns = [.. DealColumns, "buyer_external_id", "target_external_id"];

    public static readonly string[] MediaTypes = ["text/csv", "application/x-ndjson", "application/json"];

    private static readonly string[] Required = ["buyer", "target", "announced_on"];

    private static readonly JsonSerializerOptions ArrayOptions = new() { MaxDepth = 16 };

    public static IAsyncEnumerable<ImportRecord> ReadAsync(string mediaType, Stream body, CancellationToken cancellationToken) => mediaType switch
    {
        "text/csv" => ReadCsvAsync(body, cancellationToken),
        "application/x-ndjson" => ReadNdjsonAsync(body, cancellationToken),
        _ => ReadJsonArrayAsync(body, cancellationToken),
    };

    private static async IAsyncEnumerable<ImportRecord> ReadCsvAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = null,
            MissingFieldFound = null,
            DetectColumnCountChanges = false,
            TrimOptions = TrimOptions.None,
        });
        if (!await csv.ReadAsync())
        {
            throw new RequestValidationException("body", "The CSV is empty: it needs a header row naming the columns.");
        }

        csv.ReadHeader();
        var header = csv.HeaderRecord!.Select(h => h.Trim().ToLowerInvariant()).ToArray();
        CheckColumns(header);
        while (await csv.ReadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
            {
                fields[header[i]] = csv.TryGetField<string>(i, out var value) ? value : null;
            }

            // The line the record starts on, as an editor shows it: a quoted field may span lines, and Row counts records.
            var raw = csv.Parser.RawRecord.AsSpan().TrimEnd("\r\n");
            yield return new ImportRecord(csv.Parser.RawRow - raw.Count('\n'), fields);
        }
    }

    private static async IAsyncEnumerable<ImportRecord> ReadNdjsonAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var line = 0L;
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            JsonElement element;
            try
            {
                using var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 16 });
                element = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                element = default;
            }

            yield return ToRecord(line, element);
        }
    }

    private static async IAsyncEnumerable<ImportRecord> ReadJsonArrayAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var position = 0L;
        IAsyncEnumerable<JsonElement> items;
        try
        {
            items = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(body, ArrayOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException("The body is not a JSON array of records.", e);
        }

        await using var enumerator = items.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync())
                {
                    yield break;
                }
            }
            catch (JsonException e)
            {
                throw new BadHttpRequestException($"The JSON array breaks after record {position}.", e);
            }

            yield return ToRecord(++position, enumerator.Current);
        }
    }

    /// <summary>A JSON object's canonical fields as text; anything else becomes a record the validator refuses.</summary>
    private static ImportRecord ToRecord(long line, JsonElement element)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object)
        {
            fields["_"] = element.ValueKind == JsonValueKind.Undefined ? "not JSON" : element.ValueKind.ToString().ToLowerInvariant();
            return new ImportRecord(line, fields);
        }

        foreach (var property in element.EnumerateObject())
        {
            var name = property.Name.ToLowerInvariant();
            if (!Columns.Contains(name))
            {
                fields["_unknown"] = property.Name;
                continue;
            }

            fields[name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Null => null,
                JsonValueKind.Array => string.Join('|', property.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())),
                _ => property.Value.GetRawText(),
            };
        }

        return new ImportRecord(line, fields);
    }

    private static void CheckColumns(string[] header)
    {
        var unknown = header.Where(h => !Columns.Contains(h)).ToList();
        if (unknown.Count > 0)
        {
            throw new RequestValidationException("columns",
                $"Unknown column(s): {string.Join(", ", unknown)}. The columns are: {string.Join(", ", Columns)}.");
        }

        var missing = Required.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new RequestValidationException("columns", $"Missing column(s): {string.Join(", ", missing)}.");
        }
    }
}
