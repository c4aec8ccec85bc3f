using Deals.Api.Tests.Infrastructure;
using Deals.Api.Keys;
using Microsoft.Playwright;

namespace Deals.Api.Tests;

/// <summary>
/// Swagger UI in a real browser: Debian's headless Chromium driven by Playwright (no browser
/// download), running "Try it out" on the examples the document ships, as a person would.
/// </summary>
public sealed class SwaggerUiTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    internal const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task Swagger_ui_runs_the_documented_examples_in_a_browser()
    {
        Skip.IfNot(File.Exists(Chromium), $"Chromium is not installed at {Chromium} (apt-get install chromium); .ci/run installs it.");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await OpenAsync(api, browser, await TestKeys.CreateAsync(api.ConnectionString, Role.Writer));

        try
        {
            var list = await TryItOutAsync(page, "Acquisitions", "ListAcquisitions", ("limit", "20"));
            Assert.Equal("200", list.Status);
            Assert.Contains("Qumranet", list.Body);

            var company = await TryItOutAsync(page, "Companies", "GetCompany");
            Assert.Equal("200", company.Status);
            Assert.Contains("\"slug\": \"red-hat\"", company.Body);

            var created = await TryItOutAsync(page, "Companies", "CreateCompany");
            Assert.Equal("201", created.Status);
            Assert.Contains("location: /v1/companies/", created.Headers, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Makara", created.Body);
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "swagger-ui.png"), FullPage = true });
        }
    }

    internal static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Chromium,
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic"],
    });

    /// <summary>Swagger UI, authorized with the key, as a person would with the key the local run prints.</summary>
    internal static async Task<IPage> OpenAsync(ApiFixture api, IBrowser browser, string key)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync(new Uri(api.Client.BaseAddress!, "/swagger").ToString());
        await page.Locator(".opblock").First.WaitForAsync();
        await page.Locator("button.authorize").First.ClickAsync();
        await page.Locator(".auth-container input").First.FillAsync(key);
        await page.Locator(".auth-btn-wrapper button.authorize").ClickAsync();
        await page.Locator(".auth-btn-wrapper button.btn-done").ClickAsync();
        return page;
    }

    /// <summary>Opens an operation, presses "Try it out", fills the given parameters (the rest keep their examples) and executes it.</summary>
    internal static async Task<(string Status, string Body, string Headers)> TryItOutAsync(IPage page, string tag, string operationId, params (string Name, string Value)[] parameters)
    {
        var operation = page.Locator($"#operations-{tag}-{operationId}");
        await operation.Locator(".opblock-summary").First.ClickAsync();
        await operation.Locator("button.try-out__btn").ClickAsync();
        foreach (var (name, value) in parameters)
        {
            await operation.Locator($"tr[data-param-name='{name}'] input").FillAsync(value);
        }

        await operation.Locator("button.execute").ClickAsync();
        var response = operation.Locator(".live-responses-table .response").First;
        await response.WaitForAsync();
        var status = (await response.Locator(".response-col_status").InnerTextAsync()).Trim();
        var body = await response.Locator(".response-col_description pre.microlight, .response-col_description .highlight-code").First.InnerTextAsync();
        var headers = await response.Locator(".response-col_description").InnerTextAsync();
        return (status, body, headers);
    }
}

/// <summary>
/// Every operation of the document in Swagger UI, each run with "Try it out" and nothing edited, in
/// the order the examples are meant for (a database of its own: the examples create and delete).
/// </summary>
public sealed class SwaggerUiExamplesTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    [SkippableFact]
    public async Task Every_operation_runs_from_swagger_ui_with_its_examples_unedited()
    {
        Skip.IfNot(File.Exists(SwaggerUiTests.Chromium), $"Chromium is not installed at {SwaggerUiTests.Chromium} (apt-get install chromium); .ci/run installs it.");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await SwaggerUiTests.LaunchAsync(playwright);
        // The fixture's admin key (id 1), as the local run's: the examples revoke the key the create example made (id 2).
        var page = await SwaggerUiTests.OpenAsync(api, browser, api.AdminKey);
        var failures = new List<string>();
        try
        {
            // The order a person running every example top to bottom takes: reads, creates, actions, deletes.
            foreach (var (_, _, operation) in OpenApiExamplesTests.InOrder())
            {
                var id = (string)operation["operationId"]!;
                var tag = (string)operation["tags"]![0]!;
                var (status, body, _) = await SwaggerUiTests.TryItOutAsync(page, tag, id);
                if (!int.TryParse(status, out var code) || code >= 400)
                {
                    failures.Add($"{id}: {status} {body[..Math.Min(body.Length, 200)]}");
                }

                // Fold the operation again, so that the page stays short and the next one is in view.
                await page.Locator($"#operations-{tag}-{id} .opblock-summary").First.ClickAsync();
            }
        }
        finally
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "swagger-ui-all.png"), FullPage = true });
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
