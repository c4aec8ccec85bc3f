using System.Text.Json;
using System.Text.Json.Serialization;

namespace Deals.Api.Common;

/// <summary>
/// One set of JSON rules for bodies in and out: camelCase, enums as kebab-case strings, numbers only
/// as JSON numbers, and unknown or repeated properties refused so that a typo never drops data.
/// </summary>
public static class Json
{
    /// <summary>For JSON the database builds (json_build_object, jsonb_build_object), already camelCase.</summary>
    public static readonly JsonSerializerOptions Stored = new(JsonSerializerDefaults.Web);

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.AllowDuplicateProperties = false;
        options.MaxDepth = 64;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.Converters.Add(new KebabEnumConverterFactory());
        options.Converters.Add(new Acquisitions.AcquisitionJsonConverter());
    }

    /// <summary>Drops trailing zeros (107000000.00 → 107000000) so amounts come back as they were sent.</summary>
    public static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;
}
