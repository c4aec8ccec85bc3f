using System.Globalization;
using System.Text;
using CsvHelper;
using Dapper;
using Deals.Api.Acquisitions;
using Deals.Api.Common;

namespace Deals.Api.Imports;

/// <summary>
/// The acquisition list as CSV in the canonical import columns, streamed row by row from the
/// database to the response (no page size: the whole filtered list), so that an export imported
/// into an empty database gives back the same deals, companies and products.
/// </summary>
public sealed class CsvExport(AcquisitionQuery query, Db db) : IResult
{
    public const string MediaType = "text/csv";

    internal static string Sql(AcquisitionQuery query) => $"""
        SELECT b.name AS buyer, t.name AS target,
               format_partial_date(a.announced_on, a.announced_precision) AS announced_on,
               format_partial_date(a.closed_on, a.closed_precision) AS closed_on,
               a.status, a.type, a.price_amount, a.price_currency,
               (SELECT string_agg(p.name, '|' ORDER BY p.name) FROM acquisition_products ap JOIN products p ON p.id = ap.product_id
                WHERE ap.acquisition_id = a.id) AS products,
               b.country AS buyer_country, t.country AS target_country, a.source_url, a.notes
        FROM acquisitions a
        JOIN companies b ON b.id = a.buyer_id
        JOIN companies t ON t.id = a.target_id
        {query.Where}
        {query.OrderByClause}
        """;

    public static bool Wanted(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase));

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "text/csv; charset=utf-8";
        httpContext.Response.Headers.ContentDisposition = "attachment; filename=\"acquisitions.csv\"";
        await using var writer = new StreamWriter(httpContext.Response.Body, new UTF8Encoding(false), 64 * 1024);
        await using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var column in ImportReader.Columns)
        {
            csv.WriteField(column);
        }

        await csv.NextRecordAsync();
        await using var connection = await db.OpenConnectionAsync(httpContext.RequestAborted);
        // Planned for this export's filters (see Db.QueryPlannedAsync), in a transaction of its own.
        await using var transaction = await connection.BeginTransactionAsync(httpContext.RequestAborted);
        await connection.ExecuteAsync(new CommandDefinition(Db.CustomPlanSql, transaction: transaction, cancellationToken: httpContext.RequestAborted));
        var rows = connection.QueryUnbufferedAsync<Row>(Sql(query), query.Parameters, transaction);
        await foreach (var row in rows.WithCancellation(httpContext.RequestAborted))
        {
            csv.WriteField(row.Buyer);
            csv.WriteField(row.Target);
            csv.WriteField(row.AnnouncedOn);
            csv.WriteField(row.ClosedOn);
            csv.WriteField(row.Status);
            csv.WriteField(row.Type);
            csv.WriteField(row.PriceAmount is { } amount ? Json.Normalize(amount).ToString(CultureInfo.InvariantCulture) : null);
            csv.WriteField(row.PriceCurrency);
            csv.WriteField(row.Products);
            csv.WriteField(row.BuyerCountry);
            csv.WriteField(row.TargetCountry);
            csv.WriteField(row.SourceUrl);
            csv.WriteField(row.Notes);
            await csv.NextRecordAsync();
        }
    }

    private sealed class Row
    {
        public string Buyer { get; init; } = "";
        public string Target { get; init; } = "";
        public string AnnouncedOn { get; init; } = "";
        public string? ClosedOn { get; init; }
        public string Status { get; init; } = "";
        public string Type { get; init; } = "";
        public decimal? PriceAmount { get; init; }
        public string? PriceCurrency { get; init; }
        public string? Products { get; init; }
        public string? BuyerCountry { get; init; }
        public string? TargetCountry { get; init; }
        public string? SourceUrl { get; init; }
        public string? Notes { get; init; }
    }
}
