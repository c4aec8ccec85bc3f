using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Deals.Api.Common;
using Microsoft.AspNetCore.Mvc;

namespace Deals.Api.Acquisitions;

/// <summary>The filters of the acquisition list (and of its CSV export and the statistics), as sent.</summary>
public sealed record AcquisitionFilters
{
    [FromQuery(Name = "buyer")]
    [Description("Only deals made by this company (id or slug), e.g. `red-hat`.")]
    public string? Buyer { get; init; }

    [FromQuery(Name = "target")]
    [Description("Only deals in which this company (id or slug) was acquired, e.g. `qumranet`.")]
    public string? Target { get; init; }

    [FromQuery(Name = "product")]
    [Description("Only deals that carried this product (id).")]
    public long? Product { get; init; }

    [FromQuery(Name = "status")]
    [Description("Only deals with this status: `announced`, `pending`, `completed` or `terminated`.")]
    public string? Status { get; init; }

    [FromQuery(Name = "type")]
    [Description("Only deals of this type: `acquisition`, `merger`, `acquihire`, `asset-purchase` or `majority-stake`.")]
    public string? Type { get; init; }

    [FromQuery(Name = "currency")]
    [Description("Only deals priced in this ISO 4217 currency, e.g. `USD`.")]
    public string? Currency { get; init; }

    [FromQuery(Name = "announcedFrom")]
    [Description("Announced on or after: a partial date (`2008`, `2008-09`, `2008-09-04`). Deals match by overlap: `2008-09` matches a deal dated `2008`.")]
    public string? AnnouncedFrom { get; init; }

    [FromQuery(Name = "announcedTo")]
    [Description("Announced on or before (inclusive): a partial date, matching by overlap.")]
    public string? AnnouncedTo { get; init; }

    [FromQuery(Name = "minPrice")]
    [Description("Price at least this amount, in the deal's own currency (combine with `currency`). Never matches an undisclosed price.")]
    public decimal? MinPrice { get; init; }

    [FromQuery(Name = "maxPrice")]
    [Description("Price at most this amount, in the deal's own currency; not below `minPrice`. Never matches an undisclosed price.")]
    public decimal? MaxPrice { get; init; }

    [FromQuery(Name = "disclosed")]
    [Description("`true`: only deals with a price; `false`: only undisclosed ones (which have no currency or amount to filter on).")]
    public bool? Disclosed { get; init; }

    [FromQuery(Name = "q")]
    [Description("Only deals whose buyer or target name contains this text (case-insensitive).")]
    public string? Q { get; init; }

    [FromQuery(Name = "updatedSince")]
    [Description("Only deals changed at or after this time (ISO 8601), for clients that sync.")]
    public DateTimeOffset? UpdatedSince { get; init; }
}

/// <summary>A sort field of the acquisition list and the SQL expression it sorts by (an index serves each).</summary>
public sealed record SortField(string Name, string Sql, bool Descending);

/// <summary>
/// The acquisition list as SQL: filters on indexed columns, a whitelisted sort with the id as
/// tie-breaker, and a keyset cursor holding the last row's sort keys. No user text ever becomes SQL.
/// </summary>
public sealed class AcquisitionQuery
{
    public static readonly IReadOnlyDictionary<string, string> SortFields = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["id"] = "a.id",
        ["announcedOn"] = "a.announced_on",
        ["price"] = "price_sort_key(a.price_amount)",
        ["createdAt"] = "a.created_at",
        ["updatedAt"] = "a.updated_at",
    };

    private readonly List<string> _where = [];

    // The cursor's condition (after the row it names), apart from the filters so that a page can be read in two parts.
    private string? _after;

    // The page is read as the leading key's tie at @K0 and what follows it (see PageSql).
    private bool _splitAtTie;

    // Under a descending price, the tie of undisclosed prices (key -1) is still to come after the cursor's price.
    private bool _undisclosedAhead;

    // Deals whose buyer or target has a name containing @Q, when more companies do than are passed by id. A page reads
    // those companies once (PageSql): written twice, the condition read them twice, and twice more for a page in two parts.
    private const string NamedSql = "SELECT c.id FROM companies c WHERE lower(c.name) LIKE @Q";
    private const string NamedCondition = $"(a.buyer_id IN ({NamedSql}) OR a.target_id IN ({NamedSql}))";
    private const string NamedOnce = "(a.buyer_id IN (SELECT id FROM named) OR a.target_id IN (SELECT id FROM named))";

    // The filters' bounds on the key that leads within a tie of the leading one.
    private readonly List<string> _tieBounds = [];

    // The filters leave only undisclosed prices (true), only disclosed ones (false), or both (null).
    private bool? _undisclosedOnly;

    // A sort of two keys or more (and the id) led by the price's sort key, which gives undisclosed prices -1.
    private bool LeadIsPriceKey => Sort.Count > 2 && Sort[0].Sql == SortFields["price"];

    // What the filters imply for a sort key, said in that key's own terms (see OrderBy).
    private readonly List<(string Field, string Condition, string? Name, object? Value)> _sortKeyBounds = [];

    // A sort key's SQL where the filters make a plainer one equivalent (and an index serves that one).
    private readonly Dictionary<string, string> _sortSql = [];

    public DynamicParameters Parameters { get; } = new();

    /// <summary>
    /// Filters beyond the buyer and target (ranges, enums, a name, a product): the best plan depends on
    /// their values, so the query is planned for them each time (<see cref="Common.Db.QueryPlannedAsync{T}"/>).
    /// </summary>
    public bool DependsOnValues { get; private set; }

    public IReadOnlyList<SortField> Sort { get; private set; } = [new("id", "a.id", false)];

    /// <summary>The normalised sort, as a cursor must repeat it.</summary>
    public string SortText => string.Join(',', Sort.Select(f => (f.Descending ? "-" : "") + f.Name));

    /// <summary>Up to this many companies matching <c>q</c> are passed by id (see <see cref="From"/>).</summary>
    public const int MaxNamedCompanies = 1000;

    /// <summary>
    /// Checks and applies the filters; company keys must already be resolved to ids, and so may the companies
    /// whose name contains <c>q</c> (<paramref name="namedCompanies"/>: null when there are too many to list).
    /// </summary>
    public static AcquisitionQuery From(AcquisitionFilters filters, long? buyerId, long? targetId, ReferenceData reference,
        long[]? namedCompanies = null)
    {
        var query = new AcquisitionQuery { BuyerFixed = buyerId is not null, TargetFixed = targetId is not null };
        query.Equal("a.buyer_id", "BuyerId", buyerId);
        query.Equal("a.target_id", "TargetId", targetId);
        if (filters.Product is { } product)
        {
            query.Add("a.id IN (SELECT ap.acquisition_id FROM acquisition_products ap WHERE ap.product_id = @Product)", "Product", product);
        }

        query.Equal("a.status", "Status", Enum<AcquisitionStatus>("status", filters.Status));
        query.Equal("a.type", "Type", Enum<DealType>("type", filters.Type));
        if (filters.Currency is { } currency)
        {
            // A char(3) parameter, so that the (currency, price) index takes it as a key rather than a filter;
            // a currency means a disclosed price (a table constraint), said here so the planner can use that
            // partial index, which also covers the announcement date (stats by year read only the index).
            query.Add("a.price_currency = @Currency::char(3) AND a.price_amount IS NOT NULL", "Currency", reference.IsCurrency(currency)
                ? currency.ToUpperInvariant()
                : throw new RequestValidationException("currency", "Expected an ISO 4217 currency code, like USD."));
        }

        var from = Date("announcedFrom", filters.AnnouncedFrom);
        var to = Date("announcedTo", filters.AnnouncedTo);
        if (from is not null && to is not null && from.Value.Start > to.Value.End)
        {
            throw new RequestValidationException("announcedTo", "'announcedTo' is before 'announcedFrom'.");
        }

        // Overlap: the deal's period ends on or after the range starts, and starts on or before it ends.
        query.Add("a.announced_until >= @AnnouncedFrom", "AnnouncedFrom", from?.Start);
        query.Add("a.announced_on <= @AnnouncedTo", "AnnouncedTo", to?.End);
        var minPrice = Amount("minPrice", filters.MinPrice);
        var maxPrice = Amount("maxPrice", filters.MaxPrice);
        if (minPrice > maxPrice)
        {
            throw new RequestValidationException("maxPrice", "'maxPrice' is below 'minPrice'.");
        }

        // Such filters can match nothing, and PostgreSQL does not see it: it read the whole price index to say so (0.4-1 s on 1M deals).
        if (filters.Disclosed == false && (filters.Currency is not null || minPrice is not null || maxPrice is not null))
        {
            throw new RequestValidationException("disclosed",
                "An undisclosed price has no currency or amount: 'disclosed=false' cannot be combined with 'currency', 'minPrice' or 'maxPrice'.");
        }

        query.Add("a.price_amount >= @MinPrice", "MinPrice", minPrice);
        query.Add("a.price_amount <= @MaxPrice", "MaxPrice", maxPrice);
        if (filters.Disclosed is { } disclosed)
        {
            query._where.Add(disclosed ? "a.price_amount IS NOT NULL" : "a.price_amount IS NULL");
        }

        // A deal's period lasts a year at most, so one that overlaps announcedFrom was announced after the day a year before.
        if (from is { } start)
        {
            query._sortKeyBounds.Add(("announcedOn", "a.announced_on > @AnnouncedAfter", "AnnouncedAfter", start.Start.AddYears(-1)));
        }

        // Undisclosed prices sort as -1; a currency, a price bound or disclosed=true leave only disclosed (positive) ones.
        // With a currency, the (currency, price) index holds them in price order: sort by the amount itself.
        if (filters.Currency is not null || minPrice is not null || maxPrice is not null || filters.Disclosed is not null)
        {
            query._undisclosedOnly = filters.Disclosed == false;
        }

        if (filters.Currency is not null)
        {
            query._sortSql["price"] = "a.price_amount";
        }
        else if (minPrice is not null || maxPrice is not null || filters.Disclosed == true)
        {
            query._sortKeyBounds.Add(("price", minPrice is null ? "price_sort_key(a.price_amount) > -1" : "price_sort_key(a.price_amount) >= @MinPrice", null, null));
            if (maxPrice is not null)
            {
                query._sortKeyBounds.Add(("price", "price_sort_key(a.price_amount) <= @MaxPrice", null, null));
            }
        }

        if (filters.Disclosed == false)
        {
            query._sortKeyBounds.Add(("price", "price_sort_key(a.price_amount) = -1", null, null));
        }

        if (!string.IsNullOrWhiteSpace(filters.Q))
        {
            Search.Check(filters.Q);

            // Given as ids, the companies are values the planner can weigh: for a name few deals carry, it reads those
            // deals through the buyer and target indexes instead of walking the sort's index past every other deal.
            // On 1M deals, a name no company has took 0.3 s (by id) to 2.4 s (by date) as a subquery and 0.2 ms as ids.
            if (namedCompanies is not null)
            {
                query.Add("(a.buyer_id = ANY (@Named) OR a.target_id = ANY (@Named))", "Named", namedCompanies);
            }
            else
            {
                query.Add(NamedCondition, "Q", Search.ContainsPattern(filters.Q));
            }
        }

        query.Add("a.updated_at >= @UpdatedSince", "UpdatedSince", filters.UpdatedSince?.UtcDateTime);
        query.DependsOnValues = query._where.Count > (buyerId is null ? 0 : 1) + (targetId is null ? 0 : 1);
        return query;
    }

    /// <summary>Applies <c>sort</c>: comma-separated fields, <c>-</c> for descending.</summary>
    public AcquisitionQuery OrderBy(string? sort)
    {
        if (string.IsNullOrWhiteSpace(sort))
        {
            return this;
        }

        var fields = new List<SortField>();
        foreach (var part in sort.Split(',', StringSplitOptions.TrimEntries))
        {
            var descending = part.StartsWith('-');
            var name = descending ? part[1..] : part;
            if (!SortFields.TryGetValue(name, out var sql))
            {
                throw new RequestValidationException("sort",
                    $"Unknown sort field '{part}'. Allowed: {string.Join(", ", SortFields.Keys)}, each optionally prefixed with '-' for descending.");
            }

            if (fields.Any(f => f.Name == name))
            {
                throw new RequestValidationException("sort", $"'{name}' is listed twice.");
            }

            fields.Add(new SortField(name, _sortSql.GetValueOrDefault(name, sql), descending));
        }

        if (fields[^1].Name != "id")
        {
            fields.Add(new SortField("id", "a.id", fields[^1].Descending));
        }

        Sort = fields;
        if (LeadIsPriceKey && (_undisclosedOnly == true || (_undisclosedOnly is null && !fields[0].Descending)))
        {
            // Undisclosed prices (key -1) come first, or are all there is; the first page starts at their tie (see PageSql).
            SplitAtTie();
            Parameters.Add("K0", -1m);
        }

        // The filters' bounds on the leading sort key, in its terms, are where its index starts and stops reading.
        // On 1M deals: ?announcedFrom=2015&sort=announcedOn read 800,000 rows (2.1 s) without them and 21,000
        // (56 ms) with them; ?minPrice=1000000&maxPrice=50000000&sort=price 453 and 2.0 ms; ?disclosed=false&sort=-price
        // 915 and 6.6 ms (and ?currency=USD&sort=price, by the amount itself, 386 and 4.9 ms). Only for the leading
        // key: under another sort, the narrower estimate tipped the filtered list into a parallel plan (25 ms instead of 4).
        foreach (var (_, condition, name, value) in _sortKeyBounds.Where(b => b.Field == fields[0].Name))
        {
            _where.Add(condition);
            if (name is not null)
            {
                Parameters.Add(name, value);
            }
        }

        return this;
    }

    /// <summary>Continues after the row a cursor names; a cursor of another sort order is refused.</summary>
    public AcquisitionQuery After(string? cursor)
    {
        if (cursor is null)
        {
            return this;
        }

        string[] keys;
        try
        {
            var decoded = JsonSerializer.Deserialize<CursorData>(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
            if (decoded?.S != SortText || decoded.K is null || decoded.K.Length != Sort.Count)
            {
                throw new RequestValidationException("cursor", "The cursor belongs to another sort order; use it with the same 'sort' it came with.");
            }

            keys = decoded.K;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new RequestValidationException("cursor", "The cursor is not valid; use the nextCursor of a previous page unchanged.");
        }

        var values = Sort.Select((f, i) => (f, Key(f.Name, keys[i]))).ToList();
        for (var i = 0; i < values.Count; i++)
        {
            Parameters.Add($"K{i}", values[i].Item2);
        }

        _after = KeysetAfter(Sort, 0);
        _splitAtTie = false;
        var undisclosedKey = LeadIsPriceKey && (decimal)values[0].Item2 == -1;

        // When the filters leave only undisclosed prices, or only disclosed ones, a cursor at another price (which no
        // page gives) is read as a whole: a tie the filters rule out would be read in vain.
        if (Sort.Count > 2 && Sort[0].Name != "id" && !(LeadIsPriceKey && _undisclosedOnly is { } only && only != undisclosedKey))
        {
            SplitAtTie();
            _undisclosedAhead = LeadIsPriceKey && Sort[0].Descending && _undisclosedOnly is null && !undisclosedKey;
        }

        return this;
    }

    /// <summary>
    /// Rows after the keys <c>@K{first}</c>… in the order of <paramref name="fields"/>: one row comparison when every field
    /// goes the same way (an index range), otherwise the expanded form.
    /// </summary>
    private static string KeysetAfter(IReadOnlyList<SortField> fields, int first)
    {
        if (fields.All(f => f.Descending == fields[0].Descending))
        {
            return $"({string.Join(", ", fields.Select(f => f.Sql))}) {(fields[0].Descending ? "<" : ">")} ({string.Join(", ", fields.Select((_, i) => $"@K{first + i}"))})";
        }

        // The first field's own bound, implied by the expanded form, is where its index starts reading.
        var ors = fields.Select((f, i) =>
            "(" + string.Join(" AND ", fields.Take(i).Select((g, j) => $"{g.Sql} = @K{first + j}").Append($"{f.Sql} {(f.Descending ? "<" : ">")} @K{first + i}")) + ")");
        return $"{fields[0].Sql} {(fields[0].Descending ? "<=" : ">=")} @K{first} AND (" + string.Join(" OR ", ors) + ")";
    }

    private void SplitAtTie()
    {
        _splitAtTie = true;
        DependsOnValues = true;

        // Within the tie the next key leads: the filters' bounds on it, as on a leading key (see OrderBy).
        _tieBounds.Clear();
        foreach (var (_, condition, name, value) in _sortKeyBounds.Where(b => b.Field == Sort[1].Name))
        {
            _tieBounds.Add(condition);
            if (name is not null)
            {
                Parameters.Add(name, value);
            }
        }
    }

    /// <summary>
    /// The page's deals, at most <paramref name="take"/>, in the sort's order and after the cursor.
    /// <para>Under a sort of two keys or more, a page inside a large tie of the leading key (most deals have no price, so
    /// <c>sort=price,announcedOn</c> starts with 700,000 of them at 1M deals) was read by sorting the whole tie by the next
    /// key, for every page: 0.3–0.45 s. Such a page is read in two parts, the rest of the tie at the cursor's leading key
    /// (<c>@K0</c>) in the order of the other keys, and the deals past that key in the full order, each up to a page:
    /// planned for <c>@K0</c>, PostgreSQL reads a large tie through the next key's index and a small one through the
    /// leading key's. The first page of an ascending price sort starts at the undisclosed tie (key -1), as if a
    /// cursor had named it; under a descending price, that tie, which comes last, is read apart from the prices before it.</para>
    /// </summary>
    public string PageSql(int take)
    {
        var limit = $"LIMIT {take.ToString(CultureInfo.InvariantCulture)}";
        if (!_splitAtTie)
        {
            return $"{With}SELECT a.* FROM acquisitions a {Filtered(_after)} {OrderByClause} {limit}";
        }

        var lead = Sort[0];
        var rest = Sort.Skip(1).ToList();
        var inTie = string.Join(" AND ", _tieBounds.Prepend($"{lead.Sql} = @K0")) + (_after is null ? "" : $" AND {KeysetAfter(rest, 1)}");
        if (LeadIsPriceKey && _undisclosedOnly == true)
        {
            // Every deal is in the tie (and so is the cursor, if any: see After). What lies past it is empty, but
            // PostgreSQL would not see that, and would look for it along the next key's index.
            return $"{With}SELECT a.* FROM acquisitions a {Filtered(inTie)} ORDER BY {Order(rest)} {limit}";
        }

        var pastTie = $"{lead.Sql} {(lead.Descending ? "<" : ">")} @K0";
        var undisclosed = "";
        if (_undisclosedAhead)
        {
            // The last disclosed prices and then the whole undisclosed tie would be sorted together: read that tie apart.
            pastTie += $" AND {lead.Sql} > -1";
            undisclosed = $"\n  UNION ALL\n  (SELECT a.* FROM acquisitions a {Filtered($"{lead.Sql} = -1")} ORDER BY {Order(rest)} {limit})";
        }

        return $"""
            {With}SELECT a.* FROM (
              (SELECT a.* FROM acquisitions a {Filtered(inTie)} ORDER BY {Order(rest)} {limit})
              UNION ALL
              (SELECT a.* FROM acquisitions a {Filtered(pastTie)} {OrderByClause} {limit}){undisclosed}
            ) a {OrderByClause} {limit}
            """;
    }

    /// <summary>The page's filters and <paramref name="condition"/> (if any), reading the named companies once.</summary>
    private string Filtered(string? condition) => WhereOf(_where.Select(w => w == NamedCondition ? NamedOnce : w).Append(condition));

    private static string WhereOf(IEnumerable<string?> conditions)
    {
        var all = conditions.OfType<string>().ToList();
        return all.Count == 0 ? "" : "WHERE " + string.Join("\n  AND ", all);
    }

    private string With => _where.Contains(NamedCondition) ? $"WITH named AS MATERIALIZED ({NamedSql})\n" : "";

    private static string Order(IEnumerable<SortField> fields) => string.Join(", ", fields.Select(f => f.Sql + (f.Descending ? " DESC" : "")));

    /// <summary>Every deal of the list has the buyer of parameter <c>@BuyerId</c>.</summary>
    public bool BuyerFixed { get; private init; }

    /// <summary>Every deal of the list has the target of parameter <c>@TargetId</c>.</summary>
    public bool TargetFixed { get; private init; }

    /// <summary>The filters and the cursor's condition.</summary>
    public string Where => WhereOf(_where.Append(_after));

    /// <summary>The filters plus one more (constant) condition.</summary>
    public string WhereAnd(string condition) => (Where.Length == 0 ? "WHERE " : Where + "\n  AND ") + condition;

    public string OrderByClause => "ORDER BY " + Order(Sort);

    /// <summary>The cursor that continues after <paramref name="row"/>.</summary>
    public string CursorAfter(AcquisitionResponse row) => EncodeCursor(SortText, [.. Sort.Select(f => KeyOf(f.Name, row))]);

    /// <summary>A cursor from the sort and the last row's keys, in the form <see cref="After"/> reads.</summary>
    internal static string EncodeCursor(string sort, string[] keys) =>
        System.Buffers.Text.Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new CursorData(sort, keys)));

    private static string KeyOf(string field, AcquisitionResponse row) => field switch
    {
        "announcedOn" => row.AnnouncedOn.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        "price" => (row.Price?.Amount ?? -1).ToString(CultureInfo.InvariantCulture),
        "createdAt" => row.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        "updatedAt" => row.UpdatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        _ => row.Id.ToString(CultureInfo.InvariantCulture),
    };

    private static object Key(string field, string text)
    {
        var ok = field switch
        {
            "announcedOn" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "price" => decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
            _ => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        };
        if (!ok)
        {
            throw new FormatException();
        }

        return field switch
        {
            "announcedOn" => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture),
            "price" => decimal.Parse(text, CultureInfo.InvariantCulture),
            "createdAt" or "updatedAt" => new DateTime(long.Parse(text, CultureInfo.InvariantCulture), DateTimeKind.Utc),
            _ => long.Parse(text, CultureInfo.InvariantCulture),
        };
    }

    private void Equal(string column, string name, object? value) => Add($"{column} = @{name}", name, value);

    private void Add(string condition, string name, object? value)
    {
        if (value is not null)
        {
            _where.Add(condition);
            Parameters.Add(name, value);
        }
    }

    private static string? Enum<T>(string field, string? text)
        where T : struct, System.Enum =>
        text is null ? null
        : KebabEnum<T>.TryParse(text, out _) ? text
        : throw new RequestValidationException(field, $"Expected one of: {string.Join(", ", KebabEnum<T>.Names)}.");

    private static PartialDate? Date(string field, string? text) =>
        text is null ? null
        : PartialDate.TryParse(text, out var date) ? date
        : throw new RequestValidationException(field, $"Expected a date: {PartialDate.FormatDescription}.");

    private static decimal? Amount(string field, decimal? amount) =>
        amount is null or (>= 0 and < AcquisitionRequestValidator.MaxAmount) ? amount
        : throw new RequestValidationException(field, "Expected an amount from 0 to 10^15.");

    private sealed record CursorData(string S, string[] K);
}
