using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deals.Api.Common;

public enum DatePrecision
{
    Year,
    Month,
    Day,
}

/// <summary>
/// A date known to a year, a month or a day (ISO 8601 reduced precision: <c>2008</c>, <c>2008-09</c>,
/// <c>2008-09-04</c>). Stored as the first day of its period plus the precision, and written back
/// exactly as precise as it was given.
/// </summary>
[JsonConverter(typeof(PartialDateJsonConverter))]
public readonly record struct PartialDate(DateOnly Start, DatePrecision Precision) : IComparable<PartialDate>
{
    public static readonly DateOnly Earliest = new(1800, 1, 1);

    /// <summary>The last day of the period (built directly: the day after a period of 9999 is past the last DateOnly).</summary>
    public DateOnly End => Precision switch
    {
        DatePrecision.Year => new DateOnly(Start.Year, 12, 31),
        DatePrecision.Month => new DateOnly(Start.Year, Start.Month, DateTime.DaysInMonth(Start.Year, Start.Month)),
        _ => Start,
    };

    /// <summary>The precision as PostgreSQL's <c>date_precision</c> enum spells it.</summary>
    public string PrecisionName => Precision switch
    {
        DatePrecision.Year => "year",
        DatePrecision.Month => "month",
        _ => "day",
    };

    public const string FormatDescription = "YYYY, YYYY-MM or YYYY-MM-DD";

    public static bool TryParse(string? text, out PartialDate value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        var style = DateTimeStyles.None;
        var culture = CultureInfo.InvariantCulture;
        switch (text.Length)
        {
            case 4 when IsDigits(text) && int.TryParse(text, NumberStyles.None, culture, out var y) && y >= 1:
                value = new PartialDate(new DateOnly(y, 1, 1), DatePrecision.Year);
                return true;
            case 7 when DateOnly.TryParseExact(text, "yyyy-MM", culture, style, out var m):
                value = new PartialDate(m, DatePrecision.Month);
                return true;
            case 10 when DateOnly.TryParseExact(text, "yyyy-MM-dd", culture, style, out var d):
                value = new PartialDate(d, DatePrecision.Day);
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The date a query returns as stored: its first day in <paramref name="column"/> and its precision as text in
    /// the next column (<c>announced_on, announced_precision::text</c>); null when the date is NULL.
    /// </summary>
    public static PartialDate? FromStored(DbDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : new(reader.GetFieldValue<DateOnly>(column), reader.GetString(column + 1) switch
        {
            "year" => DatePrecision.Year,
            "month" => DatePrecision.Month,
            _ => DatePrecision.Day,
        });

    public int CompareTo(PartialDate other) => Start != other.Start ? Start.CompareTo(other.Start) : Precision.CompareTo(other.Precision);

    /// <summary>The <see cref="DateOnly"/> format that writes the date exactly as precise as it is.</summary>
    public string Format => Precision switch
    {
        DatePrecision.Year => "yyyy",
        DatePrecision.Month => "yyyy-MM",
        _ => "yyyy-MM-dd",
    };

    public override string ToString() => Start.ToString(Format, CultureInfo.InvariantCulture);

    private static bool IsDigits(string s) => s.All(char.IsAsciiDigit);

    public static bool operator <(PartialDate left, PartialDate right) => left.CompareTo(right) < 0;

    public static bool operator >(PartialDate left, PartialDate right) => left.CompareTo(right) > 0;

    public static bool operator <=(PartialDate left, PartialDate right) => left.CompareTo(right) <= 0;

    public static bool operator >=(PartialDate left, PartialDate right) => left.CompareTo(right) >= 0;
}

public sealed class PartialDateJsonConverter : JsonConverter<PartialDate>
{
    public override PartialDate Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"Expected a date as a string: {PartialDate.FormatDescription}.");
        }

        var text = reader.GetString();
        return PartialDate.TryParse(text, out var value)
            ? value
            : throw new JsonException($"'{text}' is not a valid date: use {PartialDate.FormatDescription}, a real calendar date without a time.");
    }

    public override void Write(Utf8JsonWriter writer, PartialDate value, JsonSerializerOptions options) => WriteValue(writer, value);

    /// <summary>Writes the date as text without allocating it.</summary>
    public static void WriteValue(Utf8JsonWriter writer, PartialDate value)
    {
        Span<char> text = stackalloc char[10];
        if (!value.Start.TryFormat(text, out var length, value.Format, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"Date {value.Start} does not fit the partial-date format.");
        }

        writer.WriteStringValue(text[..length]);
    }
}
