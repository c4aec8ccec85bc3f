using Deals.Api;
using Deals.Api.Common;

// Commands: (none) serve the API; `migrate` apply db/migrations to ConnectionStrings__Deals and exit;
// `openapi [FILE]` write the OpenAPI document (default openapi/deals.v1.json) and exit;
// `generate [--deals N]` add N synthetic deals (default 1,000,000) for trying Deals at scale;
// `keys create --role writer --name ci` / `keys list` / `keys revoke ID` manage API keys.
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

    case "keys":
        return await Commands.KeysAsync(rest);

    case "generate":
        return await Commands.GenerateAsync(rest);

    case "openapi":
        return await Commands.WriteOpenApiAsync(rest);

    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: migrate, keys create|list|revoke, openapi [FILE], generate [--deals N]; none to serve the API.");
        return 2;
}
