using System.Reflection;
using System.Text.Json.Nodes;
using Deals.Api.Acquisitions;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Deals.Api.Common;

/// <summary>
/// The OpenAPI document (<c>/openapi/v1.json</c>) and Swagger UI (<c>/swagger</c>). Request examples
/// are chosen to run as they are against the sample data of the local run.
/// </summary>
public static class OpenApi
{
    public const string DocumentPath = "/openapi/v1.json";

    public static IServiceCollection AddDealsOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Deals API",
                Version = "v1",
                Description = "Who bought whom, when, for how much, and which products changed hands. " +
                              "Errors are RFC 9457 problem JSON; lists are keyset-paginated with `limit` and `cursor`.",
            });
            o.IncludeXmlComments(Assembly.GetExecutingAssembly(), includeControllerXmlComments: false);
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: `Authorization: Bearer dk_...`. Reads may be anonymous (the local run allows it); writes need a writer key, " +
                              "keys and the audit log an admin key. The local run prints its admin key at start.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            o.SupportNonNullableReferenceTypes();
            o.NonNullableReferenceTypesAsRequired();
            o.UseAllOfToExtendReferenceSchemas();
            o.MapType<PartialDate>(() => new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Pattern = @"^\d{4}(-\d{2}(-\d{2})?)?$",
                Description = "A partial date: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (ISO 8601 reduced precision), returned exactly as precise as it was given.",
                Example = JsonValue.Create("2008-09-04"),
            });
            // Money is exact: generators should use a decimal type, not a binary float.
            o.MapType<decimal>(() => new OpenApiSchema { Type = JsonSchemaType.Number, Format = "decimal" });
            o.SchemaFilter<EnumNamesFilter>();
            o.OperationFilter<ExamplesFilter>();
            o.OperationFilter<ProblemResponsesFilter>();
        });
        return services;
    }

    public static WebApplication UseDealsOpenApi(this WebApplication app)
    {
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint(DocumentPath, "Deals API v1");
            o.RoutePrefix = "swagger";
            o.DocumentTitle = "Deals API";
        });
        return app;
    }

    /// <summary>Enums are documented by the names that travel on the wire.</summary>
    private sealed class EnumNamesFilter : ISchemaFilter
    {
        public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
        {
            if (!context.Type.IsEnum || schema is not OpenApiSchema concrete)
            {
                return;
            }

            var names = (IEnumerable<string>)typeof(KebabEnum<>).MakeGenericType(context.Type)
                .GetProperty(nameof(KebabEnum<DealType>.Names))!.GetValue(null)!;
            concrete.Type = JsonSchemaType.String;
            concrete.Format = null;
            concrete.Enum = [.. names.Select(n => (JsonNode)JsonValue.Create(n))];
        }
    }

    /// <summary>
    /// The problems every operation can answer with, documented once: 404 where the path names a
    /// resource, and 500 everywhere (a bug, with a traceId to report).
    /// </summary>
    private sealed class ProblemResponsesFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            operation.Responses ??= [];
            if (context.ApiDescription.RelativePath?.Contains('{', StringComparison.Ordinal) == true)
            {
                Add(operation, context, "404", "No resource exists at this address.");
            }

            Add(operation, context, "401", "No valid API key: missing, unknown, expired or revoked.");
            Add(operation, context, "403", "The key's role does not allow this.");
            Add(operation, context, "429", "Too many requests: wait for Retry-After seconds.");
            Add(operation, context, "500", "An unexpected error; the body carries a traceId to report.");
            Add(operation, context, "503", "The database is unavailable: retry after Retry-After seconds.");
        }

        private static void Add(OpenApiOperation operation, OperationFilterContext context, string status, string description)
        {
            if (operation.Responses!.ContainsKey(status))
            {
                return;
            }

            var schema = context.SchemaGenerator.GenerateSchema(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), context.SchemaRepository);
            operation.Responses[status] = new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType> { ["application/problem+json"] = new() { Schema = schema } },
            };
        }
    }

    /// <summary>Examples for path parameters and request bodies that work on the sample data.</summary>
    private sealed class ExamplesFilter : IOperationFilter
    {
        private static readonly Dictionary<string, string> Bodies = new()
        {
            ["CreateCompany"] = """{"name": "Makara", "aliases": ["Makara Inc."], "externalIds": {"crunchbase": "makara"}, "country": "US", "website": "https://www.makara.com", "description": "Cloud application platform start-up."}""",
            ["ReplaceCompany"] = """{"name": "Red Hat", "slug": "red-hat", "aliases": ["Redhat", "Red Hat, Inc."], "externalIds": {"crunchbase": "red-hat", "wikidata": "Q45578"}, "country": "US", "website": "https://www.redhat.com", "description": "Open source enterprise software."}""",
            ["PatchCompany"] = """{"description": "Open source enterprise software; part of IBM since 2019."}""",
            ["CreateProduct"] = """{"name": "OpenShift", "makerId": 1, "category": "platform", "description": "Kubernetes application platform."}""",
            ["ReplaceProduct"] = """{"name": "KVM", "slug": "kvm", "makerId": 2, "category": "virtualization", "description": "Kernel-based Virtual Machine, the Linux hypervisor."}""",
            ["PatchProduct"] = """{"category": "hypervisor"}""",
            ["CreateAcquisition"] = """{"buyerId": 1, "targetId": 5, "announcedOn": "2015-10-16", "status": "completed", "price": null, "type": "acquisition", "disposition": "subsidiary", "productIds": [12], "sourceUrl": "https://www.redhat.com/en/about/press-releases/red-hat-acquire-it-automation-and-devops-leader-ansible"}""",
            ["ReplaceAcquisition"] = """{"buyerId": 1, "targetId": 2, "announcedOn": "2008-09-04", "status": "completed", "price": {"amount": 107000000, "currency": "USD"}, "type": "acquisition", "terms": "cash", "disposition": "subsidiary", "productIds": [1, 2], "sourceUrl": "https://www.redhat.com/en/about/press-releases/qumranet", "notes": "Brought the KVM hypervisor and SolidICE."}""",
            ["CreateKey"] = """{"name": "ci", "role": "writer", "expiresAt": "2030-01-01T00:00:00Z"}""",
            ["MergeCompany"] = """{"duplicate": "ansible"}""",
            ["PatchAcquisition"] = """{"notes": "Brought the KVM hypervisor and SolidICE; KVM became the basis of Red Hat Enterprise Virtualization."}""",
        };

        // Together they still select the Red Hat–Qumranet deal, so "Try it out" with every example filled in finds it.
        // Real deals that the sample data lacks, so that the examples import as they are.
        private static readonly Dictionary<string, string> ImportExamples = new()
        {
            ["text/csv"] = "buyer,target,announced_on,price_amount,price_currency,products,target_country,source_url\n" +
                           "Red Hat,Makara,2010-11-30,,,Makara Platform,USA,\nRed Hat,Gluster,2011-10-04,136000000,USD,GlusterFS,USA,\n",
            ["application/x-ndjson"] = "{\"buyer\": \"Red Hat\", \"target\": \"Makara\", \"announced_on\": \"2010-11-30\", \"products\": \"Makara Platform\"}\n" +
                                       "{\"buyer\": \"Red Hat\", \"target\": \"Gluster\", \"announced_on\": \"2011-10\", \"price_amount\": 136000000, \"price_currency\": \"USD\"}\n",
        };

        private const string ImportJsonExample =
            """[{"buyer": "Red Hat", "target": "Makara", "announced_on": "2010-11-30"}, {"buyer": "Red Hat", "target": "Gluster", "announced_on": "2011-10-04", "price_amount": 136000000, "price_currency": "USD"}]""";

        private static readonly Dictionary<string, JsonNode> Parameters = new()
        {
            ["idOrSlug"] = JsonValue.Create("red-hat"),
            ["id"] = JsonValue.Create(1),
            ["limit"] = JsonValue.Create(10),
            ["buyer"] = JsonValue.Create("red-hat"),
            ["target"] = JsonValue.Create("qumranet"),
            ["product"] = JsonValue.Create(1),
            ["status"] = JsonValue.Create("completed"),
            ["type"] = JsonValue.Create("acquisition"),
            ["currency"] = JsonValue.Create("USD"),
            ["announcedFrom"] = JsonValue.Create("2008"),
            ["announcedTo"] = JsonValue.Create("2019-12"),
            ["minPrice"] = JsonValue.Create(1000000),
            ["maxPrice"] = JsonValue.Create(50000000000),
            ["disclosed"] = JsonValue.Create(true),
            ["q"] = JsonValue.Create("red hat"),
            ["updatedSince"] = JsonValue.Create("2000-01-01T00:00:00Z"),
            ["sort"] = JsonValue.Create("-announcedOn"),
            ["country"] = JsonValue.Create("US"),
            ["asOf"] = JsonValue.Create("2010"),
            ["depth"] = JsonValue.Create(3),
            ["dryRun"] = JsonValue.Create(true),
            ["atomic"] = JsonValue.Create(false),
            ["defaultCurrency"] = JsonValue.Create("USD"),
        };

        private static readonly Dictionary<string, string[]> Enums = new()
        {
            ["status"] = [.. KebabEnum<AcquisitionStatus>.Names],
            ["type"] = [.. KebabEnum<DealType>.Names],
        };

        private static readonly string[] PartialDates = ["announcedFrom", "announcedTo", "asOf"];

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                if (parameter is not OpenApiParameter { Name: { } name } p)
                {
                    continue;
                }

                if (Parameters.TryGetValue(name, out var example))
                {
                    p.Example = example.DeepClone();
                }

                if (p.Schema is OpenApiSchema schema && Enums.TryGetValue(name, out var values))
                {
                    schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                }
                else if (p.Schema is OpenApiSchema date && PartialDates.Contains(name))
                {
                    date.Pattern = @"^\d{4}(-\d{2}(-\d{2})?)?$";
                }
            }

            if (operation.OperationId == "ImportDeals" && operation.RequestBody?.Content is { } upload)
            {
                foreach (var (mediaType, media) in upload)
                {
                    media.Example = ImportExamples.TryGetValue(mediaType, out var text) ? JsonValue.Create(text) : JsonNode.Parse(ImportJsonExample);
                }
            }

            if (operation.OperationId is { } id && Bodies.TryGetValue(id, out var body) && operation.RequestBody?.Content is { } content)
            {
                foreach (var media in content.Values)
                {
                    media.Example = JsonNode.Parse(body);
                }
            }
        }
    }
}
