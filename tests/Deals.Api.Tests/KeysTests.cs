using System.Net;
using Deals.Api.Keys;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class KeysTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [Fact]
    public async Task Without_a_key_nothing_is_readable_on_a_configured_server()
    {
        using var anonymous = api.ClientWith(null);
        var response = await anonymous.GetAsync("/v1/companies/red-hat");

        await response.ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_client_that_accepts_only_csv_still_gets_problem_json_for_refusals_and_unknown_addresses()
    {
        static HttpRequestMessage Csv(HttpMethod method, string path) =>
            new(method, path) { Headers = { Accept = { new("text/csv") } } };

        using var anonymous = api.ClientWith(null);
        var unauthorized = await anonymous.SendAsync(Csv(HttpMethod.Get, "/v1/acquisitions"));
        await unauthorized.ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
        Assert.Equal("Bearer", unauthorized.Headers.WwwAuthenticate.Single().Scheme);

        using var reader = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Reader));
        await reader.SendAsync(Csv(HttpMethod.Get, "/v1/audit")).ShouldBeProblem(HttpStatusCode.Forbidden, "/problems/forbidden");
        await reader.SendAsync(Csv(HttpMethod.Get, "/v1/no-such-thing")).ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await reader.SendAsync(Csv(HttpMethod.Get, "/v1/acquisitions?status=bogus")).ShouldBeValidationProblem("status");
    }

    [Fact]
    public async Task Roles_nest_reader_reads_writer_writes_admin_administers()
    {
        using var reader = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Reader));
        using var writer = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Writer));

        await reader.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
        var forbidden = await reader.PostJsonAsync("/v1/companies", """{"name": "Reader Write"}""").ShouldBeProblem(HttpStatusCode.Forbidden, "/problems/forbidden");
        Assert.Contains("writer", (string?)forbidden["detail"]);
        await writer.PostJsonAsync("/v1/companies", """{"name": "Writer Write"}""").ShouldBe(HttpStatusCode.Created);
        await writer.GetAsync("/v1/keys").ShouldBeProblem(HttpStatusCode.Forbidden, "/problems/forbidden");
        await writer.GetAsync("/v1/audit").ShouldBeProblem(HttpStatusCode.Forbidden, "/problems/forbidden");
        await api.Client.GetAsync("/v1/audit").ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_admin_creates_a_key_shown_once_and_a_revoked_key_stops_working_at_once()
    {
        var created = await api.Client.PostJsonAsync("/v1/keys", """{"name": "ci", "role": "writer"}""").ShouldBe(HttpStatusCode.Created);
        var key = (string)created["key"]!;
        var id = (long)created["id"]!;
        Assert.StartsWith($"dk_{id}_", key);

        using var client = api.ClientWith(key);
        await client.PostJsonAsync("/v1/companies", """{"name": "Made With New Key"}""").ShouldBe(HttpStatusCode.Created);
        var listed = await api.Client.GetStringAsync("/v1/keys");
        Assert.DoesNotContain(key.Split('_', 3)[2], listed, StringComparison.Ordinal); // the secret is base64url, which may hold '_' too
        var stored = await api.QueryAsync<byte[]>("SELECT secret_hash FROM api_keys WHERE id = @id", new { id });
        Assert.Equal(32, stored.Single().Length);

        await api.Client.DeleteAsync($"/v1/keys/{id}").ShouldBe(HttpStatusCode.NoContent);
        await client.GetAsync("/v1/companies/red-hat").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
        await api.Client.DeleteAsync($"/v1/keys/{id}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Theory]
    [InlineData("Bearer dk_1_wrongwrongwrongwrongwrong")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer dk_999999_abcdefghijklmnopqrstuvwxyz")]
    public async Task Wrong_keys_are_401_problems(string header)
    {
        using var client = api.ClientWith(null);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", header);

        await client.GetAsync("/v1/companies").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
    }

    [Fact]
    public async Task A_key_revoked_outside_the_instance_stops_working_within_the_trust_time()
    {
        var key = await TestKeys.CreateAsync(api.ConnectionString, Role.Reader);
        using var client = api.ClientWith(key);
        await client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);

        // As the `keys revoke` command or another instance does it: in the database only.
        await api.ExecuteAsync("UPDATE api_keys SET revoked_at = now() WHERE id = @Id", new { Id = long.Parse(key.Split('_')[1]) });

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await client.GetAsync("/v1/companies/red-hat")).StatusCode == HttpStatusCode.OK)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "The revoked key still worked after 10 s (Auth:KeyTrustSeconds is 2).");
            await Task.Delay(100);
        }

        await client.GetAsync("/v1/companies/red-hat").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
    }

    [Fact]
    public async Task Wrong_secrets_for_a_good_key_id_are_refused_while_the_key_keeps_working()
    {
        var key = await TestKeys.CreateAsync(api.ConnectionString, Role.Reader);
        using var client = api.ClientWith(key);
        using var guesser = api.ClientWith(key[..^4] + "AAAA");

        await client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
        await guesser.GetAsync("/v1/companies/red-hat").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
        await client.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
        await guesser.GetAsync("/v1/companies/red-hat").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
    }

    [Fact]
    public async Task Expired_keys_are_refused()
    {
        using var client = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Admin, DateTimeOffset.UtcNow.AddMinutes(-1)));

        await client.GetAsync("/v1/companies").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
    }

    [Theory]
    [InlineData("key")]
    [InlineData("api_key")]
    [InlineData("access_token")]
    public async Task A_key_in_the_query_string_is_refused(string parameter)
    {
        await api.Client.GetAsync($"/v1/companies?{parameter}={api.AdminKey}").ShouldBeValidationProblem(parameter);
    }

    [Fact]
    public async Task Invalid_key_requests_are_validation_problems()
    {
        await api.Client.PostJsonAsync("/v1/keys", """{"name": "x", "role": "superuser"}""").ShouldBeValidationProblem("role");
        await api.Client.PostJsonAsync("/v1/keys", """{"name": "", "role": "reader"}""").ShouldBeValidationProblem("name");
    }

    [Fact]
    public async Task The_audit_log_records_which_key_made_each_change()
    {
        var created = await api.Client.PostJsonAsync("/v1/keys", """{"name": "audited", "role": "writer"}""").ShouldBe(HttpStatusCode.Created);
        using var writer = api.ClientWith((string)created["key"]!);
        var company = await writer.PostJsonAsync("/v1/companies", """{"name": "Audited By Key"}""").ShouldBe(HttpStatusCode.Created);

        var log = await api.Client.GetAsync($"/v1/audit?entity=company&id={(long)company["id"]!}&keyId={(long)created["id"]!}").ShouldBe(HttpStatusCode.OK);

        Assert.NotEmpty(log["items"]!.AsArray());
        Assert.All(log["items"]!.AsArray(), e => Assert.Equal(((long)created["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)e!["keyId"]));
    }
}

public sealed class AnonymousReadsFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Auth:AnonymousReads=true"];
}

public sealed class AnonymousReadsTests(AnonymousReadsFixture api) : IClassFixture<AnonymousReadsFixture>
{
    [Fact]
    public async Task With_anonymous_reads_a_read_needs_no_key_but_a_write_does_and_a_bad_key_is_still_refused()
    {
        using var anonymous = api.ClientWith(null);
        await anonymous.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
        await anonymous.PostJsonAsync("/v1/companies", """{"name": "Anonymous Write"}""").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
        await anonymous.GetAsync("/v1/audit").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");

        using var wrong = api.ClientWith("dk_1_definitelynotthesecretvalue");
        await wrong.GetAsync("/v1/companies/red-hat").ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");
    }
}

public sealed class RateLimitFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--RateLimits:PerSecond=5", "--RateLimits:Burst=5", "--RateLimits:AnonymousPerSecond=2", "--Auth:AnonymousReads=true"];
}

public sealed class RateLimitTests(RateLimitFixture api) : IClassFixture<RateLimitFixture>
{
    [Fact]
    public async Task A_key_over_its_rate_gets_429_problems_with_retry_after_and_other_keys_are_unaffected()
    {
        using var client = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Reader));
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await client.GetAsync("/v1/companies/red-hat");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        await limited.ShouldBeProblem(HttpStatusCode.TooManyRequests, "/problems/rate-limited");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal("5", limited.Headers.GetValues("RateLimit-Limit").Single());
        Assert.Equal("0", limited.Headers.GetValues("RateLimit-Remaining").Single());
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 4);

        using var other = api.ClientWith(await TestKeys.CreateAsync(api.ConnectionString, Role.Reader));
        await other.GetAsync("/v1/companies/red-hat").ShouldBe(HttpStatusCode.OK);
    }
}
