namespace Deals.Api.Imports;

/// <summary>Why one input row was not imported.</summary>
/// <param name="Line">The row's line in the file (CSV and NDJSON; the header is line 1 of a CSV), or its position in a JSON array (from 1).</param>
/// <param name="Field">The canonical column at fault.</param>
/// <param name="Value">The value found there.</param>
/// <param name="Reason">What is wrong with it.</param>
public sealed record Rejection(long Line, string Field, string? Value, string Reason);

/// <summary>What an import did with every input row: rows = created + updated + unchanged + rejected.</summary>
/// <param name="DryRun">True when nothing was written (dryRun, or atomic with rejections).</param>
/// <param name="Rows">Input rows read.</param>
/// <param name="Created">Deals created.</param>
/// <param name="Updated">Rows that changed an existing deal (or were superseded by a later row for the same deal).</param>
/// <param name="Unchanged">Rows that matched a deal and changed nothing.</param>
/// <param name="Rejected">Rows refused; each is in <c>rejections</c>.</param>
/// <param name="CompaniesCreated">Companies created because no company matched a name.</param>
/// <param name="ProductsCreated">Products created because the target had none of that name.</param>
/// <param name="Rejections">Each refused row: line, field, value and reason.</param>
public sealed record ImportReport(
    bool DryRun, long Rows, long Created, long Updated, long Unchanged, long Rejected,
    long CompaniesCreated, long ProductsCreated, IReadOnlyList<Rejection> Rejections);
