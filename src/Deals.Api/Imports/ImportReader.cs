using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Deals.Api.Common;

namespace Deals.Api.Imports;

/// <summary>
/// One input record: its line (or position) and its canonical fields as text, or the <paramref name="Fault"/> that
/// keeps it from being read exactly (too many values, a repeated property, bytes that are not UTF-8...).
/// </summary>
public sealed record ImportRecord(long Line, IReadOnlyDictionary<string, string?> Fields, Rejection? Fault = null)
{
    public string? this[string column] => Fields.TryGetValue(column, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

/// <summary>
/// Reads deal records as they arrive, never the whole upload: CSV with a header row, NDJSON (one
/// object per line) or a JSON array. Unknown or repeated columns are refused up front, so that a misspelt header
/// never drops a column silently; a record that cannot be read exactly (a CSV row with more or fewer values than the
/// header, a JSON property given twice or holding an object, bytes that are not UTF-8) is a rejected row, never a guess.
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
        // A quoted value with text after its closing quote ('"Acme" Inc' reads as 'Acme Inc'), or never closed, flags its
        // record; a quote inside an unquoted value (O"Reilly) is read as it is.
        var badQuote = false;
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            BadDataFound = args => badQuote |= args.Field.StartsWith('"'),
            MissingFieldFound = null,
            DetectColumnCountChanges = false,
            TrimOptions = TrimOptions.None,
        });
        if (!await csv.ReadAsync())
        {
            throw new RequestValidationException("body", "The CSV is empty: it needs a header row naming the columns.");
        }

        csv.ReadHeader();
        var header = new string[csv.HeaderRecord!.Length];
        for (var i = 0; i < header.Length; i++)
        {
            header[i] = csv.HeaderRecord[i].Trim().ToLowerInvariant();
        }

        CheckColumns(header);
        badQuote = false; // a header name such as '"buyer" ' reads as the name it means; only rows are flagged
        while (await csv.ReadAsync())
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The line the record starts on, as an editor shows it: a quoted field may span lines, and Row counts records.
            var raw = csv.Parser.RawRecord.AsSpan().TrimEnd("\r\n");
            var line = csv.Parser.RawRow - raw.Count('\n');
            var fields = new Dictionary<string, string?>(header.Length, StringComparer.Ordinal);
            var count = csv.Parser.Count;
            if (count != header.Length)
            {
                // An unquoted comma in a name, or a value left out.
                yield return new ImportRecord(line, fields, new Rejection(line, "record", raw.ToString(), RecordFaults.Width(count, header.Length, raw)));
                continue;
            }

            for (var i = 0; i < header.Length; i++)
            {
                fields[header[i]] = csv.Parser[i]; // each value is unquoted here, where a bad quote is found
            }

            if (badQuote)
            {
                badQuote = false;
                yield return new ImportRecord(line, fields, new Rejection(line, "record", raw.ToString(), RecordFaults.BadQuote));
                continue;
            }

            // Bytes that are not UTF-8 were decoded as U+FFFD: refuse the row rather than store the replacement.
            var fault = raw.Contains(Replacement) ? NotUtf8(line, header, fields) : null;
            yield return new ImportRecord(line, fields, fault);
        }
    }

    /// <summary>What undecodable bytes become; found in a record, the record is refused.</summary>
    private const char Replacement = '\uFFFD';

    private const string NotUtf8Reason = "Not valid UTF-8: send the file encoded as UTF-8 (these bytes are in another encoding, such as Latin-1 or Windows-1252).";

    private static Rejection NotUtf8(long line, string[] header, Dictionary<string, string?> fields)
    {
        foreach (var column in header)
        {
            if (fields[column] is { } value && value.Contains(Replacement))
            {
                return new Rejection(line, column, value, NotUtf8Reason);
            }
        }

        return new Rejection(line, "record", null, NotUtf8Reason);
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

            if (text.Contains(Replacement))
            {
                yield return new ImportRecord(line, new Dictionary<string, string?>(), new Rejection(line, "record", null, NotUtf8Reason));
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

    /// <summary>
    /// A JSON object's canonical fields as text: strings as they are, numbers as written, <c>products</c> also as an
    /// array of names. Anything else (not an object, a property given twice, an object or a boolean where text goes)
    /// becomes a record with its fault, which the rules reject.
    /// </summary>
    private static ImportRecord ToRecord(long line, JsonElement element)
    {
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        ImportRecord Refused(string field, string? value, string reason) => new(line, fields, new Rejection(line, field, value, reason));

        if (element.ValueKind != JsonValueKind.Object)
        {
            return Refused("record", element.ValueKind == JsonValueKind.Undefined ? "not JSON" : element.ValueKind.ToString().ToLowerInvariant(),
                "Each record must be a JSON object with the canonical columns.");
        }

        // The reader checks a JSON array's structure, not that its strings are UTF-8 nor that their escapes make
        // characters: that shows when they are read.
        string? current = null;
        try
        {
            foreach (var property in element.EnumerateObject())
            {
                var name = property.Name.ToLowerInvariant();
                current = property.Name;
                if (Array.IndexOf(Columns, name) < 0)
                {
                    return Refused(property.Name, null, $"Unknown column. The columns are: {string.Join(", ", Columns)}.");
                }

                if (fields.ContainsKey(name))
                {
                    return Refused(property.Name, null, RecordFaults.Twice(name));
                }

                var value = property.Value;
                switch (value.ValueKind)
                {
                    case JsonValueKind.String:
                        fields[name] = value.GetString();
                        break;
                    case JsonValueKind.Null:
                        fields[name] = null;
                        break;
                    case JsonValueKind.Number:
                        fields[name] = value.GetRawText(); // as written: 1500000.50 keeps its decimals
                        break;
                    case JsonValueKind.Array when name == "products" && ProductNames(value) is { } names:
                        fields[name] = names;
                        break;
                    default:
                        return Refused(property.Name, value.GetRawText(), name == "products"
                            ? "Expected the product names as text separated by '|', or an array of names (strings without '|')."
                            : "Expected text (a JSON string), a number or null.");
                }
            }
        }
        catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException)
        {
            return Refused(current ?? "record", null, NotUtf8Reason);
        }
        catch (InvalidOperationException)
        {
            return Refused(current ?? "record", null, RecordFaults.HalfSurrogate);
        }

        return new ImportRecord(line, fields);
    }

    /// <summary>An array of product names as the '|'-separated text of the CSV form, or null if an element is not a name.</summary>
    private static string? ProductNames(JsonElement array)
    {
        var names = new StringBuilder();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { } name || name.Contains('|'))
            {
                return null;
            }

            names.Append(names.Length > 0 ? "|" : "").Append(name);
        }

        return names.ToString();
    }

    private static void CheckColumns(string[] header)
    {
        // UTF-16 without a byte order mark reads as NULs between the letters; bytes in another encoding as U+FFFD.
        if (header.Any(h => h.Contains('\0') || h.Contains(Replacement)))
        {
            throw new RequestValidationException("columns", "The header is not UTF-8 text: send the file encoded as UTF-8.");
        }

        // A column without a name (a trailing comma) is named so, not listed as nothing.
        var unknown = header.Where(h => !Columns.Contains(h)).Select(h => h.Length == 0 ? "(a column without a name)" : h).Distinct().ToList();
        if (unknown.Count > 0)
        {
            throw new RequestValidationException("columns",
                $"Unknown column(s): {string.Join(", ", unknown)}. The columns are: {string.Join(", ", Columns)}.");
        }

        var repeated = header.Where((h, i) => Array.IndexOf(header, h) != i).Distinct().ToList();
        if (repeated.Count > 0)
        {
            throw new RequestValidationException("columns", RecordFaults.Repeated(repeated));
        }

        var missing = Required.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
        {
            throw new RequestValidationException("columns", $"Missing column(s): {string.Join(", ", missing)}.");
        }
    }
}
