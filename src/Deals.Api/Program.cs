using Deals.Api;
using Deals.Api.Common;

// Commands: (none) serve the API; `migrate` apply db/migrations to ConnectionStrings__Deals and exit;
// `openapi [FILE]` write the OpenAPI document (default openapi/deals.v1.json) and exit.
var command = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='));
var rest = command is null ? args : args.Where(a => a != command).ToArray();

switch (command)
{
    case null:
        var app = await DealsApp.CreateAsync(rest);
        if (app is null)
        {
            return 1;
        }

        await app.RunAsync();
        return 0;

    case "migrate":
        return await Commands.MigrateAsync(rest);

    case "openapi":
        return await Commands.WriteOpenApiAsync(rest);

    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: migrate, openapi [FILE]; none to serve the API.");
        return 2;
}
