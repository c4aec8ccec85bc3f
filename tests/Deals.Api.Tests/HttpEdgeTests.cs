using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>HTTP at its edges: weak ETags, Accept that rules JSON out, OPTIONS anywhere, slugs in capitals, encoded bodies.</summary>
public sealed class HttpEdgeTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private static HttpRequestMessage Get(string path, string accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return request;
    }

    private async Task<(long Id, string Slug, string ETag)> CompanyAsync(string prefix)
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique(prefix) })).ShouldBe(HttpStatusCode.Created);
        var response = await Client.GetAsync($"/v1/companies/{(long)created["id"]!}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ((long)created["id"]!, (string)created["slug"]!, response.Headers.ETag!.ToString());
    }

    // Weak comparison for If-None-Match, strong for If-Match (RFC 9110 13.1.1, 13.1.2).

    [Theory]
    [InlineData("W/{0}")]
    [InlineData("\"other\", W/{0}")]
    [InlineData("{0}")]
    [InlineData("*")]
    public async Task If_none_match_with_the_etag_weak_or_strong_or_a_star_is_304(string header)
    {
        var (id, _, etag) = await CompanyAsync("Weak Etag");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", string.Format(header, etag));

        var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("W/\"1234\"")]
    [InlineData("W/*")]
    [InlineData("\"abc*")]
    public async Task If_none_match_with_another_tag_or_a_malformed_header_is_200(string header)
    {
        var (id, _, _) = await CompanyAsync("Weak Other");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/companies/{id}");
        request.Headers.TryAddWithoutValidation("If-None-Match", header);

        var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task If_match_with_the_weak_form_of_the_etag_is_412_and_changes_nothing()
    {
        var (id, _, etag) = await CompanyAsync("Weak Match");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/companies/{id}")
        {
            Content = Http.JsonBody("""{"description": "changed"}""", "application/merge-patch+json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", "W/" + etag);

        await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");

        Assert.Equal([null], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }

    [Theory]
    [InlineData("\"1\", {0}", true)]
    [InlineData("{0}, \"not-ours\"", true)]
    [InlineData("W/\"1\", {0}", true)]
    [InlineData("\"1\", W/{0}", false)]
    [InlineData("\"1\", \"2\"", false)]
    [InlineData("W/*", false)]
    [InlineData("\"abc*", false)]
    [InlineData("*, \"1\"", false)]
    [InlineData("*", true)]
    [InlineData("", true)]
    public async Task If_match_with_several_etags_writes_when_the_current_one_is_among_them(string header, bool matches)
    {
        var (id, _, etag) = await CompanyAsync("Several Tags");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/companies/{id}")
        {
            Content = Http.JsonBody("""{"description": "changed"}""", "application/merge-patch+json"),
        };
        request.Headers.TryAddWithoutValidation("If-Match", string.Format(header, etag));

        var response = await Client.SendAsync(request);

        if (matches)
        {
            await response.ShouldBe(HttpStatusCode.OK);
        }
        else
        {
            await response.ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        }

        Assert.Equal([matches ? "changed" : null], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task If_match_with_a_tag_that_only_parses_to_the_same_time_is_412()
    {
        var (id, _, etag) = await CompanyAsync("Lookalike Tag");
        var hex = etag.Trim('"');
        var ticks = long.Parse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);

        foreach (var lookalike in new[] { hex.ToUpperInvariant(), "0" + hex, (ticks + 1).ToString("x", System.Globalization.CultureInfo.InvariantCulture) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, $"/v1/companies/{id}")
            {
                Content = Http.JsonBody("""{"description": "changed"}""", "application/merge-patch+json"),
            };
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{lookalike}\"");
            await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.PreconditionFailed, "/problems/precondition-failed");
        }

        Assert.Equal([null], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }

    // Accept: a JSON endpoint refuses (406) what rules JSON out; the export chooses CSV or JSON by q-value.

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/json;q=0")]
    [InlineData("text/plain, application/json;q=0")]
    [InlineData("text/csv")]
    [InlineData("text/*")]
    public async Task An_accept_header_that_rules_out_json_is_406_with_a_problem_body(string accept)
    {
        var response = await Client.SendAsync(Get("/v1/companies/red-hat", accept));

        var problem = await response.ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
        Assert.Contains("application/json", (string?)problem["detail"]);
    }

    [Theory]
    [InlineData("*/*")]
    [InlineData("application/*")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/problem+json")]
    [InlineData("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8")]
    [InlineData("")]
    [InlineData("not a media type")]
    public async Task An_accept_header_that_allows_json_gets_json(string accept)
    {
        var response = await Client.SendAsync(Get("/v1/companies/red-hat", accept));

        var company = await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("red-hat", (string?)company["slug"]);
    }

    [Fact]
    public async Task Without_an_accept_header_json_is_served()
    {
        using var client = api.ClientWith(api.AdminKey);
        client.DefaultRequestHeaders.Accept.Clear();

        var response = await client.GetAsync("/v1/acquisitions?limit=1");

        await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_406_comes_after_the_key_check_and_writes_nothing()
    {
        using var anonymous = api.ClientWith(null);
        await anonymous.SendAsync(Get("/v1/companies/red-hat", "image/png")).ShouldBeProblem(HttpStatusCode.Unauthorized, "/problems/unauthorized");

        var name = Http.Unique("Not Acceptable");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/companies") { Content = Http.JsonBody(Http.Json(new { name })) };
        request.Headers.TryAddWithoutValidation("Accept", "image/png");
        await (await Client.SendAsync(request)).ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }

    [Theory]
    [InlineData("/swagger/index.html", "text/html")]
    [InlineData("/openapi/v1.json", "application/json")]
    [InlineData("/health/live", "application/json")]
    public async Task Documents_and_health_are_not_negotiated_away(string path, string mediaType)
    {
        var response = await Client.SendAsync(Get(path, "text/html,application/xhtml+xml,*/*;q=0.8"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);

        var strict = await Client.SendAsync(Get(path, "text/html"));
        Assert.Equal(HttpStatusCode.OK, strict.StatusCode);
    }

    [Theory]
    [InlineData("text/csv", "text/csv")]
    [InlineData("text/csv;q=0.1, application/json", "application/json")]
    [InlineData("application/json;q=0.5, text/csv", "text/csv")]
    [InlineData("text/csv, */*;q=0.1", "text/csv")]
    [InlineData("text/*", "text/csv")]
    [InlineData("*/*", "application/json")]
    [InlineData("application/json, text/csv;q=0", "application/json")]
    public async Task The_export_chooses_csv_or_json_by_quality(string accept, string expected)
    {
        var response = await Client.SendAsync(Get("/v1/acquisitions?buyer=red-hat", accept));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Qumranet", body, StringComparison.Ordinal);
        Assert.Equal(expected == "text/csv", body.StartsWith("buyer,target,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_export_refuses_an_accept_header_that_rules_out_csv_and_json()
    {
        await Client.SendAsync(Get("/v1/acquisitions", "text/csv;q=0, application/xml"))
            .ShouldBeProblem(HttpStatusCode.NotAcceptable, "/problems/not-acceptable");
    }

    // OPTIONS

    [Fact]
    public async Task Options_on_an_unknown_path_is_a_404_problem()
    {
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/no-such-thing"));

        await response.ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Options_on_a_known_path_still_lists_the_allowed_methods()
    {
        var response = await Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/acquisitions"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(["GET", "HEAD", "OPTIONS", "POST"], response.Content.Headers.Allow.Order());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    // Slugs are lower-case: one in capitals names the same company.

    [Theory]
    [InlineData("Red-Hat")]
    [InlineData("RED-HAT")]
    public async Task A_slug_in_capitals_finds_the_company(string slug)
    {
        var response = await Client.GetAsync($"/v1/companies/{slug}");

        var company = await response.ShouldBe(HttpStatusCode.OK);
        Assert.Equal("red-hat", (string?)company["slug"]);
        Assert.Equal("Red Hat", (string?)company["name"]);
    }

    [Fact]
    public async Task A_slug_in_capitals_works_on_relations_and_filters()
    {
        var lower = await Client.GetStringAsync("/v1/companies/red-hat/acquisitions");
        Assert.Contains("Qumranet", lower, StringComparison.Ordinal);

        Assert.Equal(lower, await Client.GetStringAsync("/v1/companies/Red-Hat/acquisitions"));
        Assert.Equal(await Client.GetStringAsync("/v1/companies/qumranet/parents"), await Client.GetStringAsync("/v1/companies/Qumranet/parents"));
        Assert.Equal(await Client.GetStringAsync("/v1/acquisitions?buyer=red-hat"), await Client.GetStringAsync("/v1/acquisitions?buyer=Red-Hat"));
    }

    [Fact]
    public async Task A_slug_in_capitals_changes_the_company_it_names()
    {
        var (id, slug, _) = await CompanyAsync("Capital Patch");

        var patched = await Client.PatchJsonAsync($"/v1/companies/{slug.ToUpperInvariant()}", """{"description": "by capitals"}""")
            .ShouldBe(HttpStatusCode.OK);

        Assert.Equal(id, (long)patched["id"]!);
        Assert.Equal(["by capitals"], await api.QueryAsync<string?>("SELECT description FROM companies WHERE id = @id", new { id }));
    }

    // Request bodies: compressed (gzip, br, deflate) is read; another encoding or charset is refused by name.

    private static byte[] Compress(string text, string encoding)
    {
        var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal),
            "br" => new BrotliStream(output, CompressionLevel.Optimal),
            _ => new ZLibStream(output, CompressionLevel.Optimal),
        })
        {
            compressor.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static ByteArrayContent Body(byte[] bytes, string contentType, string? encoding = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (encoding is not null)
        {
            content.Headers.ContentEncoding.Add(encoding);
        }

        return content;
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    public async Task A_compressed_json_body_is_read_and_stored_as_sent(string encoding)
    {
        var (buyer, _, _) = await CompanyAsync("Gzip Buyer");
        var (target, _, _) = await CompanyAsync("Gzip Target");
        var json = Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2010-05-06", notes = "Café Ünïcödé 😀" });

        var created = await Client.PostAsync("/v1/acquisitions", Body(Compress(json, encoding), "application/json", encoding))
            .ShouldBe(HttpStatusCode.Created);

        Assert.Equal("Café Ünïcödé 😀", (string?)created["notes"]);
        Assert.Equal(["Café Ünïcödé 😀"], await api.QueryAsync<string>("SELECT notes FROM acquisitions WHERE id = @id", new { id = (long)created["id"]! }));
    }

    [Fact]
    public async Task A_gzipped_csv_import_is_read()
    {
        var buyer = Http.Unique("Gzip Import Buyer");
        var csv = $"buyer,target,announced_on,notes\n{buyer},{Http.Unique("Gzip Import Target")},2011,Zürich\n";

        var report = await Client.PostAsync("/v1/imports", Body(Compress(csv, "gzip"), "text/csv", "gzip")).ShouldBe(HttpStatusCode.OK);

        Assert.Equal(1, (int)report["created"]!);
        Assert.Equal(["Zürich"], await api.QueryAsync<string>(
            "SELECT a.notes FROM acquisitions a JOIN companies b ON b.id = a.buyer_id WHERE b.name = @buyer", new { buyer }));
    }

    [Fact]
    public async Task A_small_gzip_that_inflates_past_the_body_limit_is_413()
    {
        var (buyer, _, _) = await CompanyAsync("Bomb Buyer");
        var (target, _, _) = await CompanyAsync("Bomb Target");
        var json = Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2010-05-06", notes = new string('a', 3 * 1024 * 1024) });
        var bomb = Compress(json, "gzip");
        Assert.True(bomb.Length < 20_000, $"{bomb.Length} bytes");

        var problem = await (await Client.PostAsync("/v1/acquisitions", Body(bomb, "application/json", "gzip")))
            .ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "/problems/payload-too-large");

        Assert.Contains("limit", (string?)problem["detail"]);
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM acquisitions WHERE buyer_id = @buyer", new { buyer }));
    }

    [Theory]
    [InlineData("compress")]
    [InlineData("zstd")]
    [InlineData("gzip, zstd")]
    public async Task An_unsupported_content_encoding_is_415_naming_the_supported_ones(string encoding)
    {
        var name = Http.Unique("Zstd");
        var content = Body(Encoding.UTF8.GetBytes(Http.Json(new { name })), "application/json");
        content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);

        var response = await Client.PostAsync("/v1/companies", content);

        var problem = await response.ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");
        Assert.Contains("gzip", (string?)problem["detail"]);
        Assert.Contains("gzip", response.Headers.GetValues("Accept-Encoding").Single());
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }

    [Theory]
    [InlineData("GET", "/v1/companies/red-hat", "Content-Type", "text/plain; charset=iso-8859-1", HttpStatusCode.OK)]
    [InlineData("GET", "/v1/acquisitions/1", "Content-Encoding", "zstd", HttpStatusCode.OK)]
    [InlineData("DELETE", "/v1/acquisitions/999999999", "Content-Encoding", "zstd", HttpStatusCode.NotFound)]
    public async Task A_request_without_a_body_is_not_refused_for_its_body_headers(string method, string path, string header, string value, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent([]) };
        request.Content.Headers.TryAddWithoutValidation(header, value);

        var response = await Client.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
    }

    [Theory]
    [InlineData("iso-8859-1")]
    [InlineData("windows-1252")]
    [InlineData("utf-16")]
    [InlineData("no-such-charset")]
    public async Task A_json_body_in_a_charset_other_than_utf8_is_415_naming_utf8(string charset)
    {
        var name = Http.Unique("Café Latin");
        var bytes = Encoding.Latin1.GetBytes(Http.Json(new { name }));

        var response = await Client.PostAsync("/v1/companies", Body(bytes, $"application/json; charset={charset}"));

        var problem = await response.ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");
        Assert.Contains("UTF-8", (string?)problem["detail"]);
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name LIKE @suffix", new { suffix = "%" + name[^8..] }));
    }

    [Theory]
    [InlineData("utf-8")]
    [InlineData("UTF-8")]
    [InlineData("\"utf-8\"")]
    [InlineData("us-ascii")]
    public async Task A_json_body_declared_utf8_is_stored_as_sent(string charset)
    {
        var name = Http.Unique("Café Utf8");

        var created = await Client.PostAsync("/v1/companies", Body(Encoding.UTF8.GetBytes(Http.Json(new { name })), $"application/json; charset={charset}"))
            .ShouldBe(HttpStatusCode.Created);

        Assert.Equal([name], await api.QueryAsync<string>("SELECT name FROM companies WHERE id = @id", new { id = (long)created["id"]! }));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    public async Task A_body_that_is_not_what_its_content_encoding_says_is_a_400(string encoding)
    {
        var name = Http.Unique("Not Compressed");
        var bytes = Encoding.UTF8.GetBytes(Http.Json(new { name }) + new string(' ', 4096) + "\u00ff\u00fe garbage");

        var problem = await (await Client.PostAsync("/v1/companies", Body(bytes, "application/json", encoding)))
            .ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation", "body");

        Assert.Contains(encoding, problem["errors"]!["body"]![0]!.ToString());
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task A_csv_import_in_latin1_is_415_and_stores_nothing_mis_decoded()
    {
        var buyer = Http.Unique("Latin Import Buyer");
        var csv = $"buyer,target,announced_on,notes\n{buyer},{Http.Unique("Latin Import Target")},2011,Zürich\n";

        var problem = await (await Client.PostAsync("/v1/imports", Body(Encoding.Latin1.GetBytes(csv), "text/csv; charset=iso-8859-1")))
            .ShouldBeProblem(HttpStatusCode.UnsupportedMediaType, "/problems/unsupported-media-type");

        Assert.Contains("UTF-8", (string?)problem["detail"]);
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @buyer", new { buyer }));
    }

    [Fact]
    public async Task A_compressed_body_with_an_idempotency_key_is_replayed_not_written_twice()
    {
        var name = Http.Unique("Gzip Idempotent");
        var key = Guid.NewGuid().ToString();
        async Task<HttpResponseMessage> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/companies") { Content = Body(Compress(Http.Json(new { name }), "gzip"), "application/json", "gzip") };
            request.Headers.Add("Idempotency-Key", key);
            return await Client.SendAsync(request);
        }

        var first = await (await PostAsync()).ShouldBe(HttpStatusCode.Created);
        var second = await (await PostAsync()).ShouldBe(HttpStatusCode.Created);

        Assert.Equal((long)first["id"]!, (long)second["id"]!);
        Assert.Single(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }
}

public sealed class SmallImportLimitFixture : ApiFixture
{
    protected override IEnumerable<string> Settings => ["--Imports:MaxDecompressedBytes=100000"];
}

public sealed class CompressedImportLimitTests(SmallImportLimitFixture api) : IClassFixture<SmallImportLimitFixture>
{
    [Fact]
    public async Task A_gzipped_import_that_inflates_past_the_configured_limit_is_413_and_imports_nothing()
    {
        var buyer = Http.Unique("Import Bomb Buyer");
        var csv = new StringBuilder("buyer,target,announced_on,notes\n");
        for (var i = 0; csv.Length < 300_000; i++)
        {
            csv.Append(buyer).Append(",Import Bomb Target ").Append(i).Append(",2011,").Append('x', 200).Append('\n');
        }

        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(csv.ToString()));
        }

        var content = new ByteArrayContent(output.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        content.Headers.ContentEncoding.Add("gzip");
        var problem = await (await api.Client.PostAsync("/v1/imports?atomic=true", content))
            .ShouldBeProblem(HttpStatusCode.RequestEntityTooLarge, "/problems/payload-too-large");

        Assert.Contains("limit", (string?)problem["detail"]);
        Assert.Empty(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @buyer", new { buyer }));
    }
}
