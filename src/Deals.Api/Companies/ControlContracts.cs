using Deals.Api.Acquisitions;
using Deals.Api.Common;

namespace Deals.Api.Companies;

/// <summary>The deal on an edge of the chain of control or of the acquisition tree.</summary>
/// <param name="Id">Acquisition id.</param>
/// <param name="AnnouncedOn">Partial date of the announcement.</param>
/// <param name="ClosedOn">Partial date of the closing, if known.</param>
/// <param name="Price">The price, or null when undisclosed.</param>
/// <param name="Disposition">What became of the target.</param>
public sealed record DealSummary(long Id, PartialDate AnnouncedOn, PartialDate? ClosedOn, Money? Price, Disposition? Disposition);

/// <summary>One step up the chain of control.</summary>
/// <param name="Company">The controlling company.</param>
/// <param name="Via">The completed deal by which it took control.</param>
public sealed record Parent(CompanySummary Company, DealSummary Via);

/// <summary>Who controls a company, nearest first.</summary>
/// <param name="Company">The company asked about.</param>
/// <param name="AsOf">The date the chain holds at (null: today).</param>
/// <param name="Parents">The chain upward: its direct parent first, the ultimate parent last.</param>
public sealed record ParentChain(CompanySummary Company, PartialDate? AsOf, IReadOnlyList<Parent> Parents);

/// <summary>A company in the acquisition tree, with what it acquired in turn.</summary>
/// <param name="Company">The acquired company.</param>
/// <param name="Via">The deal that brought it in.</param>
/// <param name="Acquired">What it acquired itself (deeper levels).</param>
public sealed record TreeNode(CompanySummary Company, DealSummary Via, IReadOnlyList<TreeNode> Acquired);

/// <summary>Everything a company acquired, recursively.</summary>
/// <param name="Company">The root.</param>
/// <param name="Depth">How many levels were followed.</param>
/// <param name="Truncated">True when the tree was cut at the size limit; ask for less depth.</param>
/// <param name="Acquired">Its acquisitions, each with theirs.</param>
public sealed record AcquisitionTree(CompanySummary Company, int Depth, bool Truncated, IReadOnlyList<TreeNode> Acquired);
