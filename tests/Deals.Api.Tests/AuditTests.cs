using System.Net;
using System.Text.Json.Nodes;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class AuditTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private HttpClient Client => api.Client;

    [Fact]
    public async Task Every_write_is_recorded_with_the_row_before_and_after()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Audited"), aliases = new[] { "Audited Alias" } }))
            .ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;
        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"description": "changed"}""").ShouldBe(HttpStatusCode.OK);

        var page = await Client.GetAsync($"/v1/audit?entity=company&id={id}").ShouldBe(HttpStatusCode.OK);
        var entries = page["items"]!.AsArray().Select(e => e!.AsObject()).ToList();

        var update = entries.Single(e => (string?)e["action"] == "update");
        Assert.Null((string?)update["before"]!["description"]);
        Assert.Equal("changed", (string?)update["after"]!["description"]);
        var inserts = entries.Where(e => (string?)e["action"] == "insert").ToList();
        Assert.Contains(inserts, e => (string?)e["table"] == "companies" && (string?)e["after"]!["name"] == (string?)created["name"]);
        Assert.Contains(inserts, e => (string?)e["table"] == "company_aliases" && (string?)e["after"]!["alias"] == "Audited Alias");
        Assert.True((long)entries[0]["id"]! > (long)entries[^1]["id"]!, "newest first");
        Assert.All(entries, e => Assert.Equal(id, (long)e["entityId"]!));
    }

    [Fact]
    public async Task A_deleted_deal_comes_back_with_its_products_by_undoing_the_delete()
    {
        var before = await Client.GetAsync("/v1/acquisitions/1").ShouldBe(HttpStatusCode.OK);
        await Client.DeleteAsync("/v1/acquisitions/1").ShouldBe(HttpStatusCode.NoContent);
        await Client.GetAsync("/v1/acquisitions/1").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");

        var log = await Client.GetAsync("/v1/audit?entity=acquisition&id=1&limit=1").ShouldBe(HttpStatusCode.OK);
        var delete = log["items"]!.AsArray().Single()!;
        Assert.Equal("delete", (string?)delete["action"]);

        var undo = await Client.PostAsync($"/v1/audit/{(long)delete["id"]!}/undo", null).ShouldBe(HttpStatusCode.OK);
        Assert.Contains(undo["entries"]!.AsArray(), e => (string?)e!["table"] == "acquisitions" && (string?)e["action"] == "insert");

        var after = await Client.GetAsync("/v1/acquisitions/1").ShouldBe(HttpStatusCode.OK);
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
        Assert.Equal(["KVM", "SolidICE"], after["products"]!.AsArray().Select(p => (string?)p!["name"]).Order());
    }

    [Fact]
    public async Task Undoing_a_delete_is_a_409_when_a_deal_of_the_same_pair_at_an_overlapping_date_came_since()
    {
        var buyer = (long)(await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Undo Buyer") })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var target = (long)(await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Undo Target") })).ShouldBe(HttpStatusCode.Created))["id"]!;
        var first = (long)(await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016-04-01" }))
            .ShouldBe(HttpStatusCode.Created))["id"]!;
        await Client.DeleteAsync($"/v1/acquisitions/{first}").ShouldBe(HttpStatusCode.NoContent);
        var delete = await LatestEntryAsync("acquisition", first);
        var second = (long)(await Client.PostJsonAsync("/v1/acquisitions", Http.Json(new { buyerId = buyer, targetId = target, announcedOn = "2016" }))
            .ShouldBe(HttpStatusCode.Created))["id"]!;

        // Restored, the first would be the second recorded twice.
        var problem = await Client.PostAsync($"/v1/audit/{delete}/undo", null).ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");
        Assert.Contains($"Acquisition {second} of the same buyer and target was announced 2016, which overlaps 2016-04-01", (string?)problem["detail"]);
        await Client.GetAsync($"/v1/acquisitions/{first}").ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
    }

    [Fact]
    public async Task Undoing_a_replace_restores_the_fields_and_aliases_and_can_itself_be_undone()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Undo Me"), aliases = new[] { "Old" }, country = "FR" }))
            .ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;
        await Client.PutJsonAsync($"/v1/companies/{id}", Http.Json(new { name = "Renamed", aliases = new[] { "New" } })).ShouldBe(HttpStatusCode.OK);
        var replace = await LatestEntryAsync("company", id);

        var undo = await Client.PostAsync($"/v1/audit/{replace}/undo", null).ShouldBe(HttpStatusCode.OK);
        var restored = await Client.GetAsync($"/v1/companies/{id}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal((string?)created["name"], (string?)restored["name"]);
        Assert.Equal("FR", (string?)restored["country"]);
        Assert.Equal(["Old"], restored["aliases"]!.AsArray().Select(a => (string?)a));

        var redo = (long)undo["entries"]!.AsArray()[0]!["id"]!;
        await Client.PostAsync($"/v1/audit/{redo}/undo", null).ShouldBe(HttpStatusCode.OK);
        var again = await Client.GetAsync($"/v1/companies/{id}").ShouldBe(HttpStatusCode.OK);
        Assert.Equal("Renamed", (string?)again["name"]);
        Assert.Equal(["New"], again["aliases"]!.AsArray().Select(a => (string?)a));
    }

    [Fact]
    public async Task Undo_is_refused_when_the_record_changed_since()
    {
        var created = await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Changed Since") })).ShouldBe(HttpStatusCode.Created);
        var id = (long)created["id"]!;
        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"description": "first"}""").ShouldBe(HttpStatusCode.OK);
        var first = await LatestEntryAsync("company", id);
        await Client.PatchJsonAsync($"/v1/companies/{id}", """{"description": "second"}""").ShouldBe(HttpStatusCode.OK);

        var problem = await Client.PostAsync($"/v1/audit/{first}/undo", null).ShouldBeProblem(HttpStatusCode.Conflict, "/problems/conflict");

        Assert.Contains("changed since", (string?)problem["detail"]);
        Assert.Equal("second", (string?)(await Client.GetAsync($"/v1/companies/{id}").ShouldBe(HttpStatusCode.OK))["description"]);
    }

    [Fact]
    public async Task Unknown_entries_and_invalid_filters_are_problems()
    {
        await Client.PostAsync("/v1/audit/999999999/undo", null).ShouldBeProblem(HttpStatusCode.NotFound, "/problems/not-found");
        await Client.GetAsync("/v1/audit?entity=people").ShouldBeValidationProblem("entity");
        await Client.GetAsync("/v1/audit?from=yesterday").ShouldBeValidationProblem("from");
    }

    [Fact]
    public async Task Audit_log_filters_by_time_and_walks_pages()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        for (var i = 0; i < 3; i++)
        {
            await Client.PostJsonAsync("/v1/companies", Http.Json(new { name = Http.Unique("Paged Audit") })).ShouldBe(HttpStatusCode.Created);
        }

        var ids = new List<long>();
        string? next = $"/v1/audit?entity=company&from={Uri.EscapeDataString(start.ToString("O"))}&limit=1";
        while (next is not null)
        {
            var page = await Client.GetAsync(next).ShouldBe(HttpStatusCode.OK);
            ids.AddRange(page["items"]!.AsArray().Select(e => (long)e!["id"]!));
            var cursor = (string?)page["nextCursor"];
            next = cursor is null ? null : $"/v1/audit?entity=company&from={Uri.EscapeDataString(start.ToString("O"))}&limit=1&cursor={cursor}";
        }

        Assert.True(ids.Count >= 3);
        Assert.Equal(ids.OrderDescending(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    private async Task<long> LatestEntryAsync(string entity, long id)
    {
        var page = await Client.GetAsync($"/v1/audit?entity={entity}&id={id}&limit=1").ShouldBe(HttpStatusCode.OK);
        return (long)page["items"]!.AsArray().Single()!["id"]!;
    }
}
