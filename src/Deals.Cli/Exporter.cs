using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Deals.Cli;

/// <summary>Writes the filtered acquisition list: CSV streamed as the API sends it, or NDJSON from the JSON pages.</summary>
public static class Exporter
{
    public static async Task<int> RunAsync(HttpClient http, string query, string format, Stream output, CancellationToken cancellationToken)
    {
        var separator = query.Length > 0 ? "&" : "";
        if (format == "csv")
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/acquisitions?" + query);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"The API answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                return 2;
            }

            await (await response.Content.ReadAsStreamAsync(cancellationToken)).CopyToAsync(output, cancellationToken);
            return 0;
        }

        string? cursor = null;
        do
        {
            var url = $"/v1/acquisitions?{query}{separator}limit=500" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            using var response = await http.GetAsync(url, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"The API answered {(int)response.StatusCode}: {text}");
                return 2;
            }

            using var page = JsonDocument.Parse(text);
            foreach (var item in page.RootElement.GetProperty("items").EnumerateArray())
            {
                await output.WriteAsync(Encoding.UTF8.GetBytes(item.GetRawText() + "\n"), cancellationToken);
            }

            cursor = page.RootElement.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return 0;
    }
}
