using Deals.Api.Companies;

namespace Deals.Api.Stats;

/// <summary>Disclosed spend in one currency (amounts in different currencies are never added up).</summary>
/// <param name="Currency">ISO 4217 code.</param>
/// <param name="Amount">Sum of the disclosed prices in this currency.</param>
/// <param name="Deals">How many deals the sum covers.</param>
public sealed record Spend(string Currency, decimal Amount, long Deals);

/// <summary>A buyer's deals and disclosed spend.</summary>
/// <param name="Buyer">The buyer.</param>
/// <param name="Deals">Deals matching the filters.</param>
/// <param name="Undisclosed">Of those, the deals without a disclosed price (counted here, never as 0 in the spend).</param>
/// <param name="Spend">Disclosed spend per currency, largest first.</param>
public sealed record AcquirerStats(CompanySummary Buyer, long Deals, long Undisclosed, IReadOnlyList<Spend> Spend);

/// <summary>A year's deals and disclosed spend.</summary>
/// <param name="Year">The year the deals were announced in.</param>
/// <param name="Deals">Deals matching the filters.</param>
/// <param name="Undisclosed">Of those, the deals without a disclosed price.</param>
/// <param name="Spend">Disclosed spend per currency, largest first.</param>
public sealed record YearStats(int Year, long Deals, long Undisclosed, IReadOnlyList<Spend> Spend);
