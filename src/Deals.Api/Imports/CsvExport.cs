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

    // Read by position in ExecuteAsync: keep the two in the same order. Dates come as stored (start and
    // precision) and are written here: formatting them in SQL (format_partial_date, to_char) took 0.6 of
    // the 1.9 s PostgreSQL spent on 100,000 deals. A deal's products are sorted in a subquery rather than
    // inside string_agg, which PostgreSQL 15 sets a sort up for on every deal: COPY of this query for 22,828
    // deals (1M in the table) 303-319 against 332-360 ms, 226-235 without the products at all.
    internal static string Sql(AcquisitionQuery query) => $"""
        SELECT b.name AS buyer, t.name AS target,
               a.announced_on, a.announced_precision::text, a.closed_on, a.closed_precision::text,
               a.status, a.type, a.price_amount, a.price_currency,
               (SELECT string_agg(x.name, '|') FROM (SELECT p.name FROM acquisition_products ap JOIN products p ON p.id = ap.product_id
                                                     WHERE ap.acquisition_id = a.id ORDER BY p.name) x) AS products,
               b.country AS buyer_country, t.country AS target_country, a.source_url, a.notes, a.terms, a.disposition
        FROM acquisitions a
        JOIN companies b ON b.id = a.buyer_id
        JOIN companies t ON t.id = a.target_id
        {query.Where}
        {query.OrderByClause}
        """;

    private static readonly string[] JsonOrCsv = [Negotiation.Json, MediaType];

    /// <summary>True when Accept prefers CSV to JSON (<c>text/csv</c>, <c>application/json;q=0.5, text/csv</c>); JSON stays the default.</summary>
    public static bool Wanted(HttpRequest request) => Negotiation.Choose(request, JsonOrCsv) == MediaType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "text/csv; charset=utf-8";
        httpContext.Response.Headers.ContentDisposition = "attachment; filename=\"acquisitions.csv\"";
        await using var writer = new StreamWriter(httpContext.Response.Body, new UTF8Encoding(false), 64 * 1024);
        await using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var column in ImportReader.DealColumns)
        {
            csv.WriteField(column);
        }

        await csv.NextRecordAsync();
        await db.WithConnectionAsync(async connection =>
        {
            // Planned for this export's filters (see Db.QueryPlannedAsync), in a transaction of its own.
            await using var transaction = await connection.BeginTransactionAsync(httpContext.RequestAborted);
            await connection.ExecuteAsync(new CommandDefinition(Db.CustomPlanSql, transaction: transaction, cancellationToken: httpContext.RequestAborted));
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(Sql(query), query.Parameters, transaction,
                cancellationToken: httpContext.RequestAborted));
            while (await reader.ReadAsync(httpContext.RequestAborted))
            {
                csv.WriteField(reader.GetString(0));
                csv.WriteField(reader.GetString(1));
                csv.WriteField(PartialDate.FromStored(reader, 2)?.ToString());
                csv.WriteField(PartialDate.FromStored(reader, 4)?.ToString());
                csv.WriteField(reader.GetString(6));
                csv.WriteField(reader.GetString(7));
                csv.WriteField(reader.IsDBNull(8) ? null : Json.Normalize(reader.GetDecimal(8)).ToString(CultureInfo.InvariantCulture));
                for (var column = 9; column < 17; column++)
                {
                    csv.WriteField(reader.IsDBNull(column) ? null : reader.GetString(column));
                }

                await csv.NextRecordAsync();
            }
        }, httpContext.RequestAborted);
    }
}
