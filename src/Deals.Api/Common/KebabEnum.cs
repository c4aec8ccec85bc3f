using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deals.Api.Common;

/// <summary>
/// Enums travel as their kebab-case names (<c>asset-purchase</c>); any other value, including a
/// number, is refused with a message that lists the allowed ones.
/// </summary>
public sealed class KebabEnumConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(KebabEnumConverter<>).MakeGenericType(typeToConvert))!;
}

public sealed class KebabEnumConverter<T> : JsonConverter<T>
    where T : struct, Enum
{
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (text is not null && KebabEnum<T>.TryParse(text, out var value))
        {
            return value;
        }

        throw new JsonException($"Expected one of: {string.Join(", ", KebabEnum<T>.Names)}.");
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
        writer.WriteStringValue(KebabEnum<T>.Name(value));
}

/// <summary>The wire and database names of an enum's members.</summary>
public static class KebabEnum<T>
    where T : struct, Enum
{
    private static readonly FrozenDictionary<T, string> ToName =
        Enum.GetValues<T>().ToFrozenDictionary(v => v, v => JsonNamingPolicy.KebabCaseLower.ConvertName(v.ToString()));

    private static readonly FrozenDictionary<string, T> FromName =
        ToName.ToFrozenDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<T>().Select(v => ToName[v])];

    public static string Name(T value) => ToName[value];

    public static bool TryParse(string text, out T value) => FromName.TryGetValue(text, out value);

    public static T Parse(string text) => FromName[text];
}
