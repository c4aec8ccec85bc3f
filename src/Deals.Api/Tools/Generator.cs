using System.Diagnostics;
using Npgsql;

namespace Deals.Api.Tools;

/// <summary>
/// Fills a database with synthetic deals at scale, in set-based SQL run by the server itself:
/// a few very active buyers and many small ones, 70% undisclosed prices, dates at day, month and
/// year precision, a dozen currencies. For benchmarks and for trying Deals at a realistic size;
/// the generated rows bypass the audit log.
/// </summary>
public static class Generator
{
    /// <summary>Sizes of a generated data set.</summary>
    public sealed record Size(int Deals, int Companies, int Products)
    {
        public static Size For(int deals) => new(deals, Math.Max(100, deals / 5), Math.Max(100, deals * 3 / 10));
    }

    private const string CompaniesSql = """
        INSERT INTO companies (slug, name, country, description)
        SELECT lower(p.w || '-' || r.w || '-' || g), p.w || ' ' || r.w || ' ' || g,
               (ARRAY['US','US','US','US','GB','DE','FR','IL','JP','CN','IN','CA','SE','NL','BR','KR'])[1 + (g * 7) % 16],
               CASE WHEN g % 5 = 0 THEN 'Synthetic company number ' || g END
        FROM generate_series(@From, @To) g
        CROSS JOIN LATERAL (SELECT (ARRAY['Quantum','Blue','Red','Open','Net','Data','Cloud','Hyper','Nova','Apex','Vertex','Bright',
                                          'Silver','Iron','Green','Deep','Swift','Prime','Core','Meta'])[1 + g % 20] AS w) p
        CROSS JOIN LATERAL (SELECT (ARRAY['Logic','Systems','Labs','Works','Soft','Networks','Dynamics','Analytics','Robotics','Health',
                                          'Energy','Motors','Bio','Pay','Media','Games','Security','Devices','Foods','Capital'])[1 + (g / 20) % 20] AS w) r;
        INSERT INTO company_aliases (company_id, alias)
        SELECT c.id, c.name || ', Inc.' FROM companies c WHERE c.id BETWEEN @From AND @To AND c.id % 10 = 0;
        """;

    private const string ProductsSql = """
        INSERT INTO products (maker_id, slug, name, category)
        SELECT m.id, 'product-' || g, (ARRAY['Engine','Studio','Cloud','Server','Mobile','Insight','Guard','Flow','Hub','Pilot'])[1 + g % 10] || ' ' || g,
               (ARRAY['software','hardware','service','platform','database'])[1 + g % 5]
        FROM generate_series(@From, @To) g
        JOIN companies m ON m.id = @FirstCompany + (g::bigint * 7919) % @Companies;
        """;

    // Buyers follow a power law (random()^4: a few make thousands of deals); prices are log-normal-ish. Type, terms and
    // disposition are drawn on their own: drawn from the price's and the currency's numbers, every asset purchase cost
    // over 800 million, and a list of asset purchases by price read 225,000 deals for its first page.
    private const string DealsSql = """
        INSERT INTO acquisitions (buyer_id, target_id, announced_on, announced_precision, closed_on, closed_precision,
                                  status, price_amount, price_currency, type, terms, disposition)
        SELECT buyer, target,
               CASE precision WHEN 'year' THEN date_trunc('year', day)::date WHEN 'month' THEN date_trunc('month', day)::date ELSE day END,
               precision::date_precision,
               CASE WHEN status = 'completed' AND r2 < 0.6 THEN day + (r3 * 200)::int END,
               CASE WHEN status = 'completed' AND r2 < 0.6 THEN 'day'::date_precision END,
               status,
               CASE WHEN r1 < 0.3 THEN round(exp(13 + r3 * 10)::numeric, 2) END,
               CASE WHEN r1 < 0.3 THEN (ARRAY['USD','USD','USD','USD','USD','USD','EUR','EUR','GBP','JPY','CNY','INR','CAD','SEK','CHF','KRW'])[1 + (r2 * 16)::int % 16] END,
               (ARRAY['acquisition','acquisition','acquisition','acquisition','acquisition','acquisition','merger','acquihire','asset-purchase','majority-stake'])[1 + (r4 * 10)::int % 10],
               (ARRAY[NULL,'cash','stock','cash-and-stock'])[1 + (r5 * 40)::int % 4],
               (ARRAY['subsidiary','subsidiary','subsidiary','subsidiary','subsidiary','subsidiary','subsidiary','division','division','merged','merged','product-only'])[1 + (r6 * 120)::int % 12]
        FROM (
            -- One draw per buyer, target and year: dates of the same pair that contain one another (2016 and
            -- 2016-04-01) are one deal, which the database refuses to hold twice (migration 0026).
            SELECT DISTINCT ON (buyer, target, date_trunc('year', day)) *
            FROM (
            SELECT g, @FirstCompany + floor(@Companies * power(random(), 4))::bigint AS buyer,
                   @FirstCompany + floor(@Companies * random())::bigint AS target,
                   date '1980-01-01' + floor(random() * 16000)::int AS day,
                   (ARRAY['day','day','day','day','day','day','day','day','day','day','day','day','day','day','month','month','month','year'])[1 + floor(random() * 18)::int] AS precision,
                   (ARRAY['completed','completed','completed','completed','completed','completed','completed','completed','completed','completed',
                          'completed','completed','completed','completed','completed','completed','completed','announced','pending','terminated'])[1 + floor(random() * 20)::int] AS status,
                   random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6
            FROM generate_series(1, @Count) g
            ) drawn
            WHERE buyer <> target
            ORDER BY buyer, target, date_trunc('year', day)
        ) s
        WHERE NOT EXISTS (SELECT 1 FROM acquisitions a
                          WHERE a.buyer_id = s.buyer AND a.target_id = s.target
                            AND partial_dates_overlap(a.announced_on, a.announced_until, date_trunc('year', s.day)::date,
                                                      (date_trunc('year', s.day) + interval '1 year - 1 day')::date))
        -- In the order drawn, so that ids say nothing about buyers.
        ORDER BY s.g
        ON CONFLICT DO NOTHING;
        """;

    private const string ResetSequencesSql = """
        SELECT setval(pg_get_serial_sequence('companies', 'id'), coalesce(max(id), 0) + 1, false) FROM companies;
        SELECT setval(pg_get_serial_sequence('products', 'id'), coalesce(max(id), 0) + 1, false) FROM products;
        SELECT setval(pg_get_serial_sequence('acquisitions', 'id'), coalesce(max(id), 0) + 1, false) FROM acquisitions;
        """;

    private const string ProductLinksSql = """
        INSERT INTO acquisition_products (acquisition_id, product_id)
        SELECT a.id, p.id
        FROM acquisitions a
        CROSS JOIN LATERAL (SELECT id FROM products WHERE maker_id = a.target_id ORDER BY id LIMIT 1) p
        WHERE a.id >= @FirstDeal AND a.id % 4 = 0
        ON CONFLICT DO NOTHING;
        """;

    /// <summary>Adds <paramref name="size"/> worth of synthetic data to the database, then analyses it.</summary>
    public static async Task GenerateAsync(string connectionString, Size size, Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var setup = new NpgsqlCommand("SET session_replication_role = replica", connection))
        {
            try
            {
                // Skips the audit triggers (and the checks the generator guarantees itself); needs a superuser.
                await setup.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException)
            {
                progress?.Invoke("Not a superuser: generated rows go through the audit log too (slower).");
            }
        }

        // New ids continue right after the current maximum, so each table's new rows are one contiguous id range.
        await ExecuteAsync(connection, ResetSequencesSql, cancellationToken);
        var firstCompany = await ScalarAsync(connection, "SELECT coalesce(max(id), 0) + 1 FROM companies", cancellationToken);
        await ExecuteAsync(connection, CompaniesSql, cancellationToken, ("From", firstCompany), ("To", firstCompany + size.Companies - 1));
        progress?.Invoke($"{size.Companies:N0} companies ({watch.Elapsed.TotalSeconds:0} s)");

        var firstProduct = await ScalarAsync(connection, "SELECT coalesce(max(id), 0) + 1 FROM products", cancellationToken);
        await ExecuteAsync(connection, ProductsSql, cancellationToken, ("From", firstProduct), ("To", firstProduct + size.Products - 1),
            ("FirstCompany", firstCompany), ("Companies", (long)size.Companies));
        progress?.Invoke($"{size.Products:N0} products ({watch.Elapsed.TotalSeconds:0} s)");

        var firstDeal = await ScalarAsync(connection, "SELECT coalesce(max(id), 0) + 1 FROM acquisitions", cancellationToken);
        var made = 0L;
        while (made < size.Deals)
        {
            // A few draws pick the same company twice, or a buyer and target already paired that year: top up until there are enough.
            var batch = Math.Min(200_000, size.Deals - made);
            made += await ExecuteAsync(connection, DealsSql, cancellationToken, ("Count", batch), ("FirstCompany", firstCompany), ("Companies", (long)size.Companies));
            progress?.Invoke($"{made:N0} deals ({watch.Elapsed.TotalSeconds:0} s)");
        }

        await ExecuteAsync(connection, ProductLinksSql, cancellationToken, ("FirstDeal", firstDeal));
        await ExecuteAsync(connection, "VACUUM (ANALYZE) acquisitions, acquisition_products, companies, company_aliases, products", cancellationToken);
        progress?.Invoke($"Done in {watch.Elapsed.TotalSeconds:0} s.");
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, long Value)[] parameters)
    {
        var text = sql;
        foreach (var (name, value) in parameters)
        {
            // Numbers only: formatted in, so that each statement can be one multi-statement batch.
            text = text.Replace("@" + name, value.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        await using var command = new NpgsqlCommand(text, connection) { CommandTimeout = 0 };
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
