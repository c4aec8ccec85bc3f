using Dapper;
using Deals.Api.Common;

namespace Deals.Api.Companies;

/// <summary>
/// Folds a duplicate company into another, in one transaction: its deals (a deal both already have
/// is kept once, with the duplicate's products), its products, aliases and external ids move, its
/// name becomes an alias, and the duplicate is deleted. Deals between the two would become a
/// company buying itself, so they go.
/// </summary>
public sealed class CompanyMergeStore(Db db)
{
    private const string MergeSql = """
        -- Deals between the two would become self-deals.
        DELETE FROM acquisitions WHERE (buyer_id = @Duplicate AND target_id = @Into) OR (buyer_id = @Into AND target_id = @Duplicate);

        -- A deal both companies have (same counterpart, and dates that contain one another, as 2016 and 2016-04-01 do:
        -- one deal, which the survivor could not hold twice): keep the survivor's, with the duplicate's products too.
        CREATE TEMP TABLE merge_twins ON COMMIT DROP AS
        SELECT d.id AS duplicate_deal, k.id AS kept_deal
        FROM acquisitions d
        JOIN acquisitions k ON partial_dates_overlap(k.announced_on, k.announced_until, d.announced_on, d.announced_until)
            AND ((d.buyer_id = @Duplicate AND k.buyer_id = @Into AND k.target_id = d.target_id)
              OR (d.target_id = @Duplicate AND k.target_id = @Into AND k.buyer_id = d.buyer_id));
        INSERT INTO acquisition_products (acquisition_id, product_id)
        SELECT t.kept_deal, ap.product_id FROM merge_twins t JOIN acquisition_products ap ON ap.acquisition_id = t.duplicate_deal
        ON CONFLICT DO NOTHING;
        DELETE FROM acquisitions WHERE id IN (SELECT duplicate_deal FROM merge_twins);

        UPDATE acquisitions SET buyer_id = @Into, updated_at = now() WHERE buyer_id = @Duplicate;
        UPDATE acquisitions SET target_id = @Into, updated_at = now() WHERE target_id = @Duplicate;

        -- Products: a slug the survivor already uses gets the duplicate's slug as a suffix.
        UPDATE products p
        SET maker_id = @Into,
            slug = CASE WHEN EXISTS (SELECT 1 FROM products x WHERE x.maker_id = @Into AND x.slug = p.slug)
                        THEN left(p.slug || '-' || (SELECT slug FROM companies WHERE id = @Duplicate), 200) ELSE p.slug END,
            updated_at = now()
        WHERE p.maker_id = @Duplicate;

        INSERT INTO company_aliases (company_id, alias)
        SELECT @Into, alias FROM company_aliases WHERE company_id = @Duplicate
        UNION
        SELECT @Into, name FROM companies WHERE id = @Duplicate
        ON CONFLICT DO NOTHING;
        DELETE FROM company_aliases WHERE company_id = @Into AND alias = (SELECT name FROM companies WHERE id = @Into);

        -- External ids move unless the survivor already has one in that registry.
        UPDATE company_external_ids e SET company_id = @Into
        WHERE e.company_id = @Duplicate
          AND NOT EXISTS (SELECT 1 FROM company_external_ids x WHERE x.company_id = @Into AND x.registry = e.registry);

        DELETE FROM companies WHERE id = @Duplicate;
        UPDATE companies SET updated_at = now() WHERE id = @Into;
        """;

    public async Task MergeAsync(long into, long duplicate, CancellationToken cancellationToken)
    {
        await db.WithConnectionAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(MergeSql, new { Into = into, Duplicate = duplicate }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }, cancellationToken);
    }
}
