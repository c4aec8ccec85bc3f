using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Deals.Benchmarks;

/// <summary>
/// The import streams: the API's peak RSS after a 10 MB NDJSON upload, then after a 500 MB one
/// (rows of about 1 KB, deals among a few companies), must differ by less than 100 MB.
/// </summary>
public static class Memory
{
    public static async Task<(double SmallMb, double LargeMb, double Rows, double Seconds)> MeasureAsync(string baseUrl, string key, int pid, string work, long largeBytes)
    {
        var small = Path.Combine(work, "small.ndjson");
        var large = Path.Combine(work, "large.ndjson");
        Write(small, 10_000_000, 0);
        var rows = Write(large, largeBytes, 1);

        await UploadAsync(baseUrl, key, small);
        var afterSmall = PeakMb(pid);
        var watch = Stopwatch.StartNew();
        await UploadAsync(baseUrl, key, large);
        var seconds = watch.Elapsed.TotalSeconds;
        var afterLarge = PeakMb(pid);
        File.Delete(small);
        File.Delete(large);
        return (afterSmall, afterLarge, rows, seconds);
    }

    /// <summary>NDJSON deal records of about 1 KB each, unique by (buyer, target, date).</summary>
    private static long Write(string file, long bytes, int series)
    {
        var notes = new string('n', 900);
        using var writer = new StreamWriter(file, false, new UTF8Encoding(false), 1 << 20);
        var written = 0L;
        var row = 0L;
        while (written < bytes)
        {
            var day = DateOnly.FromDayNumber(DateOnly.Parse("1850-01-01", System.Globalization.CultureInfo.InvariantCulture).DayNumber + (int)(row / 400 % 60000));
            var line = $"{{\"buyer\": \"Memory Buyer {series}-{row % 20}\", \"target\": \"Memory Target {series}-{row / 20 % 20}\", \"announced_on\": \"{day:yyyy-MM-dd}\", " +
                       $"\"price_amount\": {1000 + row}, \"price_currency\": \"USD\", \"notes\": \"{notes}\"}}";
            writer.WriteLine(line);
            written += line.Length + 1;
            row++;
        }

        return row;
    }

    private static async Task UploadAsync(string baseUrl, string key, string file)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
        await using var content = File.OpenRead(file);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/imports") { Content = new StreamContent(content, 1 << 16) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        var report = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException("Upload failed: " + report);
        }

        Console.WriteLine($"  {new FileInfo(file).Length / 1e6:0} MB: {report[..Math.Min(report.Length, 160)]}");
    }

    /// <summary>The process's peak resident memory so far (VmHWM).</summary>
    private static double PeakMb(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }
}
