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
            o.OperationFilter<RateLimitHeadersFilter>();
            o.DocumentFilter<BoundsFilter>();
        });
        return services;
    }

    public static WebApplication UseDealsOpenApi(this WebApplication app)
    {
        // Only requests for the document or the UI go through Swashbuckle's middleware, which otherwise matches
        // every API request's path against its route template and a regular expression.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/openapi") || c.Request.Path.StartsWithSegments("/swagger"), docs =>
        {
            docs.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
            docs.UseSwaggerUI(o =>
            {
                o.SwaggerEndpoint(DocumentPath, "Deals API v1");
                o.RoutePrefix = "swagger";
                o.DocumentTitle = "Deals API";
            });
        });
        return app;
    }

    /// <summary>Every answer of the API carries the RateLimit-* headers of the caller's bucket.</summary>
    private sealed class RateLimitHeadersFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (response is not OpenApiResponse r)
                {
                    continue;
                }

                r.Headers ??= new Dictionary<string, IOpenApiHeader>();
                if (status[0] is '2' or '4')
                {
                    r.Headers["RateLimit-Limit"] = Header("Requests per second allowed to this key (or client address).");
                    r.Headers["RateLimit-Remaining"] = Header("Requests left in the current window.");
                    r.Headers["RateLimit-Reset"] = Header("Seconds until the window refills.");
                }

                if (status is "429" or "503")
                {
                    r.Headers["Retry-After"] = Header("Seconds to wait before trying again.");
                }

                r.Headers["Access-Control-Allow-Origin"] = new OpenApiHeader
                {
                    Description = "Present when the request's Origin is one of the configured Cors:Origins (CORS is off by default).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 2000 },
                };
            }
        }

        private static OpenApiHeader Header(string description) => new()
        {
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0", Maximum = "1000000" },
        };
    }

    /// <summary>
    /// Bounds on every schema, so that clients and gateways know the largest values to expect:
    /// strings get a maximum length, integers and numbers a range, arrays a maximum size, unless
    /// the contract already says. A nullable reference gets the type of what it refers to.
    /// </summary>
    private sealed class BoundsFilter : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            var seen = new HashSet<IOpenApiSchema>(ReferenceEqualityComparer.Instance);
            foreach (var schema in (document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values)
            {
                Bound(schema, document, seen);
            }

            foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => (p.Operations ?? []).Values))
            {
                foreach (var parameter in operation.Parameters ?? [])
                {
                    Bound(parameter.Schema, document, seen);
                }

                foreach (var media in (operation.RequestBody?.Content ?? new Dictionary<string, OpenApiMediaType>()).Values)
                {
                    Bound(media.Schema, document, seen);
                }

                foreach (var media in (operation.Responses ?? []).Values.SelectMany(r => (r.Content ?? new Dictionary<string, OpenApiMediaType>()).Values))
                {
                    Bound(media.Schema, document, seen);
                }
            }
        }

        private static void Bound(IOpenApiSchema? schema, OpenApiDocument document, HashSet<IOpenApiSchema> seen)
        {
            if (schema is not OpenApiSchema s || !seen.Add(s))
            {
                return;
            }

            // Nullable is a flag of the type in this model: a nullable reference has the type Null alone. OpenAPI 3.0
            // validators want a type beside "nullable": an object keeps its reference; an enum is written out in place.
            if (s.Type == JsonSchemaType.Null && s.AllOf is [OpenApiSchemaReference reference]
                && (Component(document, reference.Reference.Id ?? reference.Id) ?? reference.Target) is { Type: { } referenced } target)
            {
                s.Type = referenced | JsonSchemaType.Null;
                if (target.Enum is { Count: > 0 } values)
                {
                    s.Enum = [.. values.Select(v => v.DeepClone()), null!];
                    s.AllOf = null;
                }
            }

            var type = s.Type ?? 0;
            if (type.HasFlag(JsonSchemaType.Integer))
            {
                s.Format ??= "int64";
            }

            if (type.HasFlag(JsonSchemaType.String) && s.MaxLength is null && s.Enum is not { Count: > 0 })
            {
                s.MaxLength = s.Format is "date-time" ? 40 : 5000;
            }

            if (type.HasFlag(JsonSchemaType.Integer))
            {
                s.Minimum ??= "0";
                s.Maximum ??= "9007199254740991";
            }

            if (type.HasFlag(JsonSchemaType.Number))
            {
                s.Minimum ??= "0";
                s.Maximum ??= "1000000000000000";
            }

            if (type.HasFlag(JsonSchemaType.Array))
            {
                s.MaxItems ??= 10000;
            }

            Bound(s.Items, document, seen);
            foreach (var property in (s.Properties ?? new Dictionary<string, IOpenApiSchema>()).Values)
            {
                Bound(property, document, seen);
            }

            foreach (var part in (s.AllOf ?? []).Concat(s.OneOf ?? []).Concat(s.AnyOf ?? []))
            {
                Bound(part, document, seen);
            }

            if (s.AdditionalProperties is { } additional)
            {
                Bound(additional, document, seen);
            }
        }
    }

    private static IOpenApiSchema? Component(OpenApiDocument document, string? id) =>
        id is not null && document.Components?.Schemas is { } schemas && schemas.TryGetValue(id, out var schema) ? schema : null;

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
    /// resource, 401 and 403 under /v1 (and 406 where a success has a body), 413 and 415 where there is a body, and 500 everywhere (a bug,
    /// with a traceId to report).
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

            if (context.ApiDescription.RelativePath?.StartsWith("v1", StringComparison.Ordinal) == true)
            {
                Add(operation, context, "401", "No valid API key: missing, unknown, expired or revoked.");
                Add(operation, context, "403", "The key's role does not allow this.");
                // Only where a success has a body to negotiate (a 204 has none, so DELETE is never a 406).
                if (operation.Responses.Any(r => r.Key.StartsWith('2') && r.Value.Content?.Count > 0))
                {
                    Add(operation, context, "406", "The Accept header rules out every media type this resource is available as.");
                }
            }

            if (operation.RequestBody is not null)
            {
                Add(operation, context, "413", "The body is larger than the limit the problem states.");
                Add(operation, context, "415", "The body's media type, charset (UTF-8 only) or Content-Encoding (gzip, br or deflate) is not supported.");
            }

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
            ["CreateAcquisition"] = """{"buyerId": 1, "targetId": 5, "announcedOn": "2015-10-16", "status": "completed", "type": "acquisition", "disposition": "subsidiary", "productIds": [12], "sourceUrl": "https://www.redhat.com/en/about/press-releases/red-hat-acquire-it-automation-and-devops-leader-ansible"}""",
            ["ReplaceAcquisition"] = """{"buyerId": 1, "targetId": 2, "announcedOn": "2008-09-04", "status": "completed", "price": {"amount": 107000000, "currency": "USD"}, "type": "acquisition", "terms": "cash", "disposition": "subsidiary", "productIds": [1, 2], "sourceUrl": "https://www.redhat.com/en/about/press-releases/qumranet", "notes": "Brought the KVM hypervisor and SolidICE."}""",
            ["CreateKey"] = """{"name": "ci", "role": "writer", "expiresAt": "2030-01-01T00:00:00Z"}""",
            ["MergeCompany"] = """{"duplicate": "jboss-inc"}""",
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

        // Where the shared example would do harm or cannot work: writes aim at what the sample data holds for them, or
        // at what the create examples made (in a fresh sample database, with the examples run top to bottom), never at
        // the deals everyone explores or the key in use.
        // Null: no example (a search's order is its own, so sort is left out beside q's example).
        private static readonly Dictionary<(string Operation, string Parameter), JsonNode?> OperationParameters = new()
        {
            [("ListAcquisitions", "sort")] = JsonValue.Create("-announcedOn"),
            [("ListCompanies", "sort")] = null,
            [("ListProducts", "sort")] = null,
            [("MergeCompany", "idOrSlug")] = JsonValue.Create("jboss"),
            [("UndoAuditEntry", "id")] = JsonValue.Create(59),
            [("DeleteCompany", "idOrSlug")] = JsonValue.Create("makara"),
            [("DeleteProduct", "id")] = JsonValue.Create(13),
            [("DeleteAcquisition", "id")] = JsonValue.Create(10),
            [("RevokeKey", "id")] = JsonValue.Create(2),
        };

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
            ["sort"] = JsonValue.Create("id"),
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

                if (OperationParameters.TryGetValue((operation.OperationId ?? "", name), out var own))
                {
                    p.Example = own?.DeepClone();
                }
                else if (Parameters.TryGetValue(name, out var example))
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

            // The list streams CSV on request: the same deals as text, in the canonical import columns.
            if (operation.OperationId == "ListAcquisitions" && operation.Responses?.TryGetValue("200", out var ok) == true &&
                ok.Content?.TryGetValue("text/csv", out var csv) == true)
            {
                csv.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    MaxLength = int.MaxValue,
                    Description = "Every deal of the filtered list (no paging) as CSV with a header row of the canonical import columns.",
                };
            }

            if (operation.OperationId == "ImportDeals" && operation.RequestBody?.Content is { } upload)
            {
                foreach (var (mediaType, media) in upload)
                {
                    media.Example = ImportExamples.TryGetValue(mediaType, out var text) ? JsonValue.Create(text) : JsonNode.Parse(ImportJsonExample);
                    if (mediaType == "application/json" && media.Schema is OpenApiSchema array)
                    {
                        array.MaxItems = 10_000_000;
                        array.Description = "Deal records, each a DealRecord.";
                    }
                    else if (mediaType != "application/json")
                    {
                        // The same records as text: a CSV with a header row, or one JSON object per line.
                        media.Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.String,
                            MaxLength = int.MaxValue,
                            Description = mediaType == "text/csv"
                                ? "Deal records as CSV with a header row of canonical column names (those of DealRecord)."
                                : "Deal records as one JSON object (a DealRecord) per line.",
                        };
                    }
                }
            }

            // A merge patch may hold any subset of the fields: its schema is the resource's, nothing required.
            if (operation.OperationId?.StartsWith("Patch", StringComparison.Ordinal) == true && operation.RequestBody?.Content is { } patch)
            {
                foreach (var media in patch.Values)
                {
                    if (media.Schema is OpenApiSchemaReference reference && reference.Reference.Id is { } schemaId
                        && context.SchemaRepository.Schemas.TryGetValue(schemaId, out var full) && full is OpenApiSchema whole)
                    {
                        media.Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Description = "JSON Merge Patch (RFC 7396): any of the fields below; null clears one.",
                            Properties = whole.Properties,
                            AdditionalProperties = whole.AdditionalProperties,
                        };
                    }
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
