using System.ComponentModel;
using Deals.Api.Acquisitions;
using Deals.Api.Common;
using Deals.Api.Companies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Deals.Api.Stats;

public static class StatsApi
{
    public static RouteGroupBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/stats").WithTags("Statistics");

        group.MapGet("/acquirers", GetAcquirerStats).WithName("GetAcquirerStats")
            .WithSummary("Top buyers by number of deals, with disclosed spend per currency")
            .WithDescription("Filterable like the acquisition list. Undisclosed deals are counted apart (`undisclosed`), never as 0 in the spend; " +
                             "amounts in different currencies are never added up.")
            .ProducesValidationProblem();
        group.MapGet("/years", GetYearStats).WithName("GetYearStats")
            .WithSummary("Deals and disclosed spend per year")
            .WithDescription("Per year of announcement, filterable like the acquisition list; undisclosed deals are counted apart.")
            .ProducesValidationProblem();
        return group;
    }

    public static async Task<Ok<List<AcquirerStats>>> GetAcquirerStats(
        [AsParameters] AcquisitionFilters filters,
        [Description("How many buyers, 1–500 (default 50).")] int? limit,
        StatsStore stats, CompanyStore companies, ReferenceData reference, CancellationToken cancellationToken)
    {
        var take = Paging.Limit(limit);
        var query = await AcquisitionsApi.QueryAsync(filters, companies, reference, cancellationToken);
        return TypedResults.Ok(await stats.AcquirersAsync(query, take, cancellationToken));
    }

    public static async Task<Ok<List<YearStats>>> GetYearStats(
        [AsParameters] AcquisitionFilters filters,
        StatsStore stats, CompanyStore companies, ReferenceData reference, CancellationToken cancellationToken)
    {
        var query = await AcquisitionsApi.QueryAsync(filters, companies, reference, cancellationToken);
        return TypedResults.Ok(await stats.YearsAsync(query, cancellationToken));
    }
}
