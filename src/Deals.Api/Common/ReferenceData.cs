using System.Collections.Frozen;
using Dapper;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// The ISO country and currency lists, read once from the tables of migration 0001 so that the
/// validators and the database's foreign keys agree on one list.
/// </summary>
public sealed class ReferenceData
{
    private FrozenDictionary<string, string> _countries = FrozenDictionary<string, string>.Empty;
    private FrozenSet<string> _currencies = FrozenSet<string>.Empty;

    public bool IsLoaded { get; private set; }

    public async Task LoadAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var countries = await connection.QueryAsync<(string Alpha2, string Alpha3)>(
            new CommandDefinition("SELECT alpha2, alpha3 FROM countries", cancellationToken: cancellationToken));
        var currencies = await connection.QueryAsync<string>(
            new CommandDefinition("SELECT code FROM currencies", cancellationToken: cancellationToken));
        _countries = countries
            .SelectMany(c => new[] { (Code: c.Alpha2, c.Alpha2), (Code: c.Alpha3, c.Alpha2) })
            .ToFrozenDictionary(x => x.Code, x => x.Alpha2, StringComparer.OrdinalIgnoreCase);
        _currencies = currencies.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        IsLoaded = true;
    }

    /// <summary>The alpha-2 code for an alpha-2 or alpha-3 code in any case, or null when it names no country.</summary>
    public string? Country(string code) => _countries.GetValueOrDefault(code);

    /// <summary>The alpha-2 code of a <c>country</c> query parameter (none: null; unknown: a 400 naming it).</summary>
    public string? CountryFilter(string? code) =>
        code is null ? null
        : Country(code) ?? throw new RequestValidationException("country", "Expected an ISO 3166-1 alpha-2 or alpha-3 code, like US or USA.");

    public bool IsCurrency(string code) => _currencies.Contains(code);

    public IEnumerable<string> Currencies => _currencies;
}
