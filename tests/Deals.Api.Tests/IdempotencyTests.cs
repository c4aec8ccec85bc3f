using System.Net;
using System.Text;
using Deals.Api.Tests.Infrastructure;

namespace Deals.Api.Tests;

public sealed class IdempotencyTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private Task<HttpResponseMessage> PostAsync(string key, string json, string path = "/v1/companies")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return api.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_retry_with_the_same_key_and_body_replays_the_first_answer_and_creates_nothing_more()
    {
        var key = Guid.NewGuid().ToString();
        var body = Http.Json(new { name = Http.Unique("Idempotent Co") });

        var first = await PostAsync(key, body);
        var firstBody = await first.ShouldBe(HttpStatusCode.Created);
        var second = await PostAsync(key, body);
        var secondBody = await second.ShouldBe(HttpStatusCode.Created);

        Assert.Equal(firstBody.ToJsonString(), secondBody.ToJsonString());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name = (string)firstBody["name"]! }));
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422_problem()
    {
        var key = Guid.NewGuid().ToString();
        await PostAsync(key, Http.Json(new { name = Http.Unique("First Body") })).ShouldBe(HttpStatusCode.Created);

        await PostAsync(key, Http.Json(new { name = Http.Unique("Second Body") })).ShouldBeProblem(HttpStatusCode.UnprocessableEntity, "/problems/unprocessable");
    }

    [Fact]
    public async Task Concurrent_duplicates_with_one_key_create_one_resource()
    {
        var key = Guid.NewGuid().ToString();
        var name = Http.Unique("Concurrent Idempotent");
        var body = Http.Json(new { name });

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostAsync(key, body)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(responses.Select(r => r.Headers.Location).Distinct());
        Assert.Single(await api.QueryAsync<long>("SELECT id FROM companies WHERE name = @name", new { name }));
    }

    [Fact]
    public async Task A_failed_request_is_not_kept_so_a_corrected_retry_needs_a_new_key_and_bad_keys_are_refused()
    {
        var key = Guid.NewGuid().ToString();
        await PostAsync(key, """{"name": ""}""").ShouldBeValidationProblem("name");
        await PostAsync(key, """{"name": ""}""").ShouldBeValidationProblem("name"); // replayed as it was

        await PostAsync(new string('k', 201), """{"name": "x"}""").ShouldBeValidationProblem("Idempotency-Key");
    }
}
