using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

/// <summary>An import never drops or misreads a value silently: what it cannot read exactly is refused, with the line.</summary>
public sealed class ImportStrictnessTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    private Task<HttpResponseMessage> PostAsync(byte[] body, string mediaType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return Client.PostAsync("/v1/imports", content);
    }

    private Task<HttpResponseMessage> PostAsync(string body, string mediaType = "text/csv") =>
        PostAsync(new UTF8Encoding(false).GetBytes(body), mediaType);

    private async Task<JsonObject> ImportAsync(string body, string mediaType = "text/csv")
    {
        var report = await PostAsync(body, mediaType).ShouldBe(HttpStatusCode.OK);
        AssertAccounted(report);
        return report;
    }

    /// <summary>The records as NDJSON or as a JSON array.</summary>
    private static string Records(string[] records, string mediaType) =>
        mediaType == "application/json" ? $"[{string.Join(",\n", records)}]" : string.Join('\n', records);

    private static void AssertAccounted(JsonObject report) =>
        Assert.Equal((long)report["rows"]!, (long)report["created"]! + (long)report["updated"]! + (long)report["unchanged"]! + (long)report["rejected"]!);

    private static (long Line, string Field, string? Value, string Reason)[] Rejections(JsonObject report) =>
        [.. report["rejections"]!.AsArray().Select(r => ((long)r!["line"]!, (string)r["field"]!, (string?)r["value"], (string)r["reason"]!))];

    /// <summary>The deals stored whose buyer is <paramref name="buyer"/>: target, notes and price amount, by target.</summary>
    private Task<List<(string Target, string? Notes, decimal? Price)>> DealsOfAsync(string buyer) =>
        api.QueryAsync<(string, string?, decimal?)>("""
            SELECT t.name, a.notes, a.price_amount FROM acquisitions a
            JOIN companies b ON b.id = a.buyer_id JOIN companies t ON t.id = a.target_id
            WHERE b.name = @buyer ORDER BY t.name
            """, new { buyer });

    private Task<List<string>> CompaniesNamedAsync(params string[] names) =>
        api.QueryAsync<string>("SELECT name FROM companies WHERE name = ANY(@names) ORDER BY name", new { names });

    [Theory]
    [InlineData("buyer,target,announced_on,notes,notes", "notes")]
    [InlineData("buyer,target,announced_on,notes, Notes ", "notes")]
    [InlineData("buyer,target,BUYER,announced_on", "buyer")]
    public async Task A_repeated_csv_column_is_refused_up_front_naming_it(string header, string repeated)
    {
        var buyer = Http.Unique("Repeat Buyer");
        var problem = await PostAsync($"{header}\n{buyer},Repeat Target,2020-01-01,first\n").ShouldBeValidationProblem("columns");

        var message = (string)problem["errors"]!["columns"]![0]!;
        Assert.Contains("Repeated column", message);
        Assert.Contains(repeated, message);
        Assert.Empty(await DealsOfAsync(buyer));
    }

    [Fact]
    public async Task A_csv_row_with_more_values_than_the_header_is_rejected_with_its_line_and_the_rest_imported()
    {
        var buyer = Http.Unique("Wide Buyer");
        var report = await ImportAsync($"""
            buyer,target,announced_on,notes
            {buyer},Wide Target One,2020-01-01,fine
            {buyer},Wide Target Cut,2020-01-02,unquoted, with a comma
            Acme, Inc,{buyer} Target,2020-01-02,shifted
            {buyer},Wide Target Two,2020-01-03,"quoted, with a comma"
            """);

        Assert.Equal((4L, 2L, 2L), ((long)report["rows"]!, (long)report["created"]!, (long)report["rejected"]!));
        var rejections = Rejections(report);
        Assert.Equal([(3L, "record"), (4L, "record")], rejections.Select(r => (r.Line, r.Field)));
        Assert.All(rejections, r => Assert.Contains("5 values where the header has 4", r.Reason));
        Assert.Equal($"{buyer},Wide Target Cut,2020-01-02,unquoted, with a comma", rejections[0].Value);
        Assert.Equal([("Wide Target One", "fine", null), ("Wide Target Two", "quoted, with a comma", null)], await DealsOfAsync(buyer));
        Assert.Empty(await CompaniesNamedAsync("Wide Target Cut", "Acme", " Inc", "Inc"));
    }

    [Fact]
    public async Task A_csv_row_with_fewer_values_than_the_header_is_rejected_even_when_the_missing_ones_are_optional()
    {
        // buyer,target,announced_on,source_url,notes with one value left out in the middle would put the notes in source_url
        // (or the reverse): a short row cannot say which of its values is missing, so it is not guessed.
        var buyer = Http.Unique("Short Buyer");
        var report = await ImportAsync($"""
            buyer,target,announced_on,notes,source_url
            {buyer},Short Target One,2020-01-01,,
            {buyer},Short Target Two,2020-01-02,https://example.com/deal
            {buyer},Short Target Three,2020-01-03
            {buyer},Short Target Four,2020-01-04,kept,https://example.com/four
            """);

        Assert.Equal((4L, 2L, 2L), ((long)report["rows"]!, (long)report["created"]!, (long)report["rejected"]!));
        var rejections = Rejections(report);
        Assert.Equal([3L, 4L], rejections.Select(r => r.Line));
        Assert.All(rejections, r => Assert.Equal("record", r.Field));
        Assert.Contains("4 values where the header has 5", rejections[0].Reason);
        Assert.Contains("3 values where the header has 5", rejections[1].Reason);
        Assert.Equal([("Short Target Four", "kept", null), ("Short Target One", null, null)], await DealsOfAsync(buyer));
    }

    [Fact]
    public async Task A_quoted_csv_value_that_goes_on_after_its_closing_quote_is_rejected_and_a_quote_inside_a_plain_value_is_kept()
    {
        var buyer = Http.Unique("Quote Buyer");
        var report = await ImportAsync($"""
            buyer,target,announced_on,notes
            {buyer},"Quote" Target,2020-01-01,
            {buyer},Quote Target Two,2020-01-02,"said ""yes"" then" no
            {buyer},O"Quote Target,2020-01-03,a "plain" note
            {buyer},Quote Target Open,2020-01-04,"never closed
            {buyer},Quote Target Swallowed,2020-01-05,
            """);

        Assert.Equal((4L, 1L, 3L), ((long)report["rows"]!, (long)report["created"]!, (long)report["rejected"]!));
        var rejections = Rejections(report);
        Assert.Equal([(2L, "record"), (3L, "record"), (5L, "record")], rejections.Select(r => (r.Line, r.Field)));
        Assert.Contains("after its closing quote", rejections[0].Reason);
        Assert.Equal($"{buyer},\"Quote\" Target,2020-01-01,", rejections[0].Value);
        Assert.Contains("never closed", rejections[2].Reason);
        Assert.Equal([("O\"Quote Target", "a \"plain\" note", null)], await DealsOfAsync(buyer));
        Assert.Empty(await CompaniesNamedAsync("Quote Target", "Quote Target Two", "Quote Target Open", "Quote Target Swallowed"));

        // A header name with a space after its quotes is that name: the header flags no row.
        var header = await ImportAsync($"buyer,target,\"announced_on\" \n{buyer},Quote Header Target,2020-01-06\n");
        Assert.Equal(1, (long)header["created"]!);
    }

    [Theory]
    [InlineData("application/x-ndjson")]
    [InlineData("application/json")]
    public async Task A_json_record_with_a_repeated_property_is_rejected_naming_it(string mediaType)
    {
        var buyer = Http.Unique("Twice Buyer");
        string[] records =
        [
            $$"""{"buyer": "{{buyer}}", "target": "Twice Target One", "announced_on": "2020-01-01"}""",
            $$"""{"buyer": "{{buyer}}", "buyer": "Someone Else", "target": "Twice Target Two", "announced_on": "2020-01-02"}""",
            $$"""{"buyer": "{{buyer}}", "target": "Twice Target Three", "announced_on": "2020-01-03", "notes": "a", "Notes": "b"}""",
        ];
        var report = await ImportAsync(Records(records, mediaType), mediaType);

        Assert.Equal((3L, 1L, 2L), ((long)report["rows"]!, (long)report["created"]!, (long)report["rejected"]!));
        var rejections = Rejections(report);
        Assert.Equal([(2L, "buyer"), (3L, "Notes")], rejections.Select(r => (r.Line, r.Field)));
        Assert.All(rejections, r => Assert.Contains("more than once", r.Reason));
        Assert.Equal([("Twice Target One", null, null)], await DealsOfAsync(buyer));
        Assert.Empty(await CompaniesNamedAsync("Someone Else"));
    }

    [Fact]
    public async Task Bytes_that_are_not_utf8_reject_their_row_and_are_never_stored_as_replacement_characters()
    {
        var buyer = Http.Unique("Bytes Buyer");
        var latin1 = Encoding.Latin1.GetBytes("Nestlé"); // é as one byte, 0xE9: not UTF-8
        byte[] csv = [.. Encoding.UTF8.GetBytes($"buyer,target,announced_on\n{buyer},Bytes Target,2020-01-01\n{buyer},"), .. latin1,
            .. Encoding.UTF8.GetBytes(",2020-01-02\n")];
        byte[] ndjson = [.. Encoding.UTF8.GetBytes($$"""{"buyer": "{{buyer}}", "target": "Bytes Target Two", "announced_on": "2020-01-03"}""" + "\n{\"buyer\": \"" + buyer + "\", \"target\": \""),
            .. latin1, .. Encoding.UTF8.GetBytes("\", \"announced_on\": \"2020-01-04\"}\n")];

        var fromCsv = await PostAsync(csv, "text/csv").ShouldBe(HttpStatusCode.OK);
        var fromNdjson = await PostAsync(ndjson, "application/x-ndjson").ShouldBe(HttpStatusCode.OK);
        byte[] array = [.. Encoding.UTF8.GetBytes("[{\"buyer\": \"" + buyer + "\", \"target\": \"Bytes Target Three\", \"announced_on\": \"2020\"},\n{\"buyer\": \"" + buyer + "\", \"target\": \""),
            .. latin1, .. Encoding.UTF8.GetBytes("\", \"announced_on\": \"2020\"}]")];
        var fromArray = await PostAsync(array, "application/json").ShouldBe(HttpStatusCode.OK);

        var csvRejection = Assert.Single(Rejections(fromCsv));
        Assert.Equal((3L, "target"), (csvRejection.Line, csvRejection.Field));
        Assert.Contains("UTF-8", csvRejection.Reason);
        var ndjsonRejection = Assert.Single(Rejections(fromNdjson));
        Assert.Equal((2L, "record"), (ndjsonRejection.Line, ndjsonRejection.Field));
        Assert.Contains("UTF-8", ndjsonRejection.Reason);
        var arrayRejection = Assert.Single(Rejections(fromArray));
        Assert.Equal((2L, "target"), (arrayRejection.Line, arrayRejection.Field));
        Assert.Contains("UTF-8", arrayRejection.Reason);
        Assert.Equal(["Bytes Target", "Bytes Target Three", "Bytes Target Two"], (await DealsOfAsync(buyer)).Select(d => d.Target));
        Assert.Empty(await api.QueryAsync<string>("SELECT name FROM companies WHERE strpos(name, U&'\\FFFD') > 0"));
    }

    [Theory]
    [InlineData("application/x-ndjson")]
    [InlineData("application/json")]
    public async Task A_json_string_with_half_a_surrogate_pair_rejects_its_record_and_is_no_server_error(string mediaType)
    {
        var buyer = Http.Unique("Surrogate Buyer");
        string[] records =
        [
            $$"""{"buyer": "{{buyer}}", "target": "Surrogate Target \ud83d\ude00", "announced_on": "2020-01-01"}""",
            $$"""{"buyer": "{{buyer}}", "target": "Surrogate Target \ud800", "announced_on": "2020-01-02"}""",
        ];

        var report = await ImportAsync(Records(records, mediaType), mediaType);

        var rejection = Assert.Single(Rejections(report));
        Assert.Equal((2L, "target"), (rejection.Line, rejection.Field));
        Assert.Equal([("Surrogate Target \ud83d\ude00", null, null)], await DealsOfAsync(buyer));
    }

    [Fact]
    public async Task A_utf16_body_is_read_by_its_byte_order_mark_or_refused_without_one()
    {
        var buyer = Http.Unique("Wide Chars Buyer");
        var csv = $"buyer,target,announced_on\n{buyer},Société Générale,2020-01-01\n";

        var withMark = await PostAsync([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(csv)], "text/csv").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(1, (long)withMark["created"]!);
        Assert.Equal(["Société Générale"], (await DealsOfAsync(buyer)).Select(d => d.Target));

        var problem = await PostAsync(Encoding.Unicode.GetBytes(csv.Replace("Société", "Other")), "text/csv").ShouldBeValidationProblem("columns");
        Assert.Contains("UTF-8", (string)problem["errors"]!["columns"]![0]!);
        Assert.Empty(await CompaniesNamedAsync("Other Générale"));
    }

    [Fact]
    public async Task A_utf8_byte_order_mark_blank_lines_and_any_line_ending_are_read_as_the_text_says()
    {
        var buyer = Http.Unique("Endings Buyer");
        var rows = $"buyer,target,announced_on,notes\n{buyer},Endings Target One,2020-01-01,one\n\n{buyer},Endings Target Two,2020-01-02,\"two\nlines\"\n{buyer},Endings Target Three,2020-13,bad\n";
        foreach (var ending in new[] { "\n", "\r\n", "\r" })
        {
            var body = rows.Replace("\n", ending);
            var report = await PostAsync([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(body)], "text/csv").ShouldBe(HttpStatusCode.OK);

            Assert.Equal((3L, 1L), ((long)report["rows"]!, (long)report["rejected"]!));
            Assert.Equal(6L, Rejections(report).Single().Line);
        }

        var stored = await DealsOfAsync(buyer);
        Assert.Equal(["Endings Target One", "Endings Target Two"], stored.Select(d => d.Target));
        Assert.Contains(stored.Single(d => d.Target == "Endings Target Two").Notes, new[] { "two\nlines", "two\r\nlines", "two\rlines" });
    }

    [Fact]
    public async Task A_header_alone_imports_nothing_and_a_trailing_empty_column_is_refused_by_name()
    {
        var report = await ImportAsync("buyer,target,announced_on\n");
        Assert.Equal(0, (long)report["rows"]!);

        var unnamed = await PostAsync("buyer,target,announced_on,\na,b,2020,\n").ShouldBeValidationProblem("columns");
        Assert.StartsWith("Unknown column(s): (a column without a name).", (string)unnamed["errors"]!["columns"]![0]!);
        await PostAsync("""{"buyer": "a", "target": "b", "announced_on": "2020"}""", "application/json")
            .ShouldBeProblem(HttpStatusCode.BadRequest, "/problems/validation");
    }

    [Theory]
    [InlineData("application/x-ndjson")]
    [InlineData("application/json")]
    public async Task A_json_record_that_is_not_an_object_or_holds_a_value_that_is_not_text_is_rejected(string mediaType)
    {
        var buyer = Http.Unique("Shapes Buyer");
        string[] records =
        [
            "42",
            "[\"a\", \"b\"]",
            "null",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "products": {"a": 1}}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "notes": ["a", "b"]}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "status": true}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "products": ["One", {"a": 1}]}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "products": ["One|Two"]}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target", "announced_on": "2020", "products": ["Kept One", "Kept Two"], "price_amount": 1500000.50, "price_currency": "USD"}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target Two", "announced_on": "2020", "price_amount": "1500000.50", "price_currency": "USD"}""",
            $$$"""{"buyer": "{{{buyer}}}", "target": "Shapes Target Three", "announced_on": "2020", "price_amount": 1.5e6, "price_currency": "USD"}""",
        ];
        var report = await ImportAsync(Records(records, mediaType), mediaType);

        Assert.Equal((11L, 2L, 9L), ((long)report["rows"]!, (long)report["created"]!, (long)report["rejected"]!));
        Assert.Equal(
            [(1L, "record"), (2L, "record"), (3L, "record"), (4L, "products"), (5L, "notes"), (6L, "status"), (7L, "products"), (8L, "products"), (11L, "price_amount")],
            Rejections(report).Select(r => (r.Line, r.Field)));
        Assert.Equal([("Shapes Target", null, 1500000.50m), ("Shapes Target Two", null, 1500000.50m)], await DealsOfAsync(buyer));
        var products = await api.QueryAsync<string>("SELECT p.name FROM products p JOIN companies c ON c.id = p.maker_id WHERE c.name = 'Shapes Target' ORDER BY 1");
        Assert.Equal(["Kept One", "Kept Two"], products);
    }

    [Fact]
    public async Task A_source_url_with_a_control_character_or_without_a_host_rejects_its_row_not_the_upload()
    {
        var buyer = Http.Unique("Url Buyer");
        var report = await ImportAsync($"buyer,target,announced_on,source_url\n{buyer},Url Target,2020,https://example.com/a\0b\n" +
            $"{buyer},Url Target Two,2020,https://example.com/a\tb\n{buyer},Url Target Three,2020,http:no-host\n{buyer},Url Target Four,2020,https://example.com/four\n");

        Assert.Equal([(2L, "source_url"), (3L, "source_url"), (4L, "source_url")], Rejections(report).Select(r => (r.Line, r.Field)));
        Assert.Equal(["Url Target Four"], (await DealsOfAsync(buyer)).Select(d => d.Target));
    }

    [Fact]
    public async Task Very_long_values_are_rejected_by_their_rule_and_never_cut()
    {
        var buyer = Http.Unique("Long Buyer");
        var report = await ImportAsync($"""
            buyer,target,announced_on,notes,price_amount,price_currency
            {buyer},{new string('T', 201)},2020,,,
            {buyer},Long Target,2020,{new string('n', 4001)},,
            {buyer},Long Target Two,2020,,{new string('9', 400)},USD
            {buyer},Long Target Three,2020,{new string('n', 4000)},,
            """);

        Assert.Equal([(2L, "target"), (3L, "notes"), (4L, "price_amount")], Rejections(report).Select(r => (r.Line, r.Field)));
        Assert.Equal([("Long Target Three", new string('n', 4000), null)], await DealsOfAsync(buyer));
    }
}
