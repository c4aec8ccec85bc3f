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
    private const string Chromium = "/usr/bin/chromium";

    [SkippableFact]
    public async Task Swagger_ui_runs_the_documented_examples_in_a_browser()
    {
        Skip.IfNot(File.Exists(Chromium), $"Chromium is not installed at {Chromium} (apt-get install chromium); .ci/run installs it.");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--disable-sync", "--disable-quic"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync(new Uri(api.Client.BaseAddress!, "/swagger").ToString());
        await page.Locator(".opblock").First.WaitForAsync();

        // Authorize with a writer key, as a person would with the key the local run prints.
        await page.Locator("button.authorize").First.ClickAsync();
        await page.Locator(".auth-container input").First.FillAsync(await TestKeys.CreateAsync(api.ConnectionString, Role.Writer));
        await page.Locator(".auth-btn-wrapper button.authorize").ClickAsync();
        await page.Locator(".auth-btn-wrapper button.btn-done").ClickAsync();

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

    /// <summary>Opens an operation, presses "Try it out", fills the given parameters (the rest keep their examples) and executes it.</summary>
    private static async Task<(string Status, string Body, string Headers)> TryItOutAsync(IPage page, string tag, string operationId, params (string Name, string Value)[] parameters)
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
