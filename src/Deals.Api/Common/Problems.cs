using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Deals.Api.Common;

/// <summary>
/// Every error is RFC 9457 problem JSON with a stable <c>type</c> per kind. The types are relative
/// URIs served by the API itself (<c>GET /problems/{kind}</c> explains each one).
/// </summary>
public static class Problems
{
    public const string ValidationType = "/problems/validation";
    public const string NotFoundType = "/problems/not-found";
    public const string ConflictType = "/problems/conflict";

    /// <summary>Every kind of problem with the status it comes with and what it means.</summary>
    public static readonly IReadOnlyDictionary<string, (int Status, string Title, string Meaning)> Kinds =
        new Dictionary<string, (int, string, string)>
        {
            ["validation"] = (400, "The request is not valid.", "The body, a parameter or a header breaks a rule; `errors` maps each field to what is wrong with it."),
            ["bad-request"] = (400, "The request could not be read.", "The request is malformed in a way that is not tied to one field."),
            ["unauthorized"] = (401, "Authentication is required.", "No valid API key was given."),
            ["forbidden"] = (403, "The key may not do this.", "The API key's role does not allow the operation."),
            ["not-found"] = (404, "The resource does not exist.", "Nothing exists at this address."),
            ["method-not-allowed"] = (405, "The method is not allowed.", "The resource exists but does not support this HTTP method; `Allow` lists those it does."),
            ["not-acceptable"] = (406, "The requested representation is not available.", "The Accept header asks for a media type this resource cannot produce."),
            ["conflict"] = (409, "The request conflicts with stored data.", "A unique key is taken, a referenced record does not exist, or the record is still referenced."),
            ["precondition-failed"] = (412, "The resource has changed.", "The If-Match header does not match the current ETag."),
            ["payload-too-large"] = (413, "The body is too large.", "The request body is over the limit."),
            ["unprocessable"] = (422, "The request cannot be processed.", "An Idempotency-Key was reused with a different request."),
            ["unsupported-media-type"] = (415, "The media type is not supported.", "Send the body with one of the documented Content-Type values."),
            ["rate-limited"] = (429, "Too many requests.", "Wait for the number of seconds in Retry-After."),
            ["internal"] = (500, "An unexpected error occurred.", "A bug: report it with the traceId."),
            ["unavailable"] = (503, "The database is unavailable.", "Retry after the number of seconds in Retry-After."),
        };

    public static string TypeFor(int status) => "/problems/" + (status switch
    {
        400 => "bad-request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not-found",
        405 => "method-not-allowed",
        406 => "not-acceptable",
        409 => "conflict",
        412 => "precondition-failed",
        413 => "payload-too-large",
        415 => "unsupported-media-type",
        422 => "unprocessable",
        429 => "rate-limited",
        503 => "unavailable",
        _ => "internal",
    });

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail: detail, statusCode: 404, title: Kinds["not-found"].Title, type: NotFoundType);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: Kinds["validation"].Title, type: ValidationType);

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Answers with a problem from middleware, before any endpoint runs; the title comes from <see cref="Customize"/>.</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Type = TypeFor(status), Detail = detail },
        }).AsTask();
    }

    /// <summary>Fills in the fields every problem carries: a type for the status, and the trace id to report.</summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
        {
            problem.Type = TypeFor(status);
        }

        if (Kinds.Values.FirstOrDefault(k => k.Status == status) is { Title: not null } kind
            && (problem.Title is null || problem.Title == ReasonPhrases(status)))
        {
            problem.Title = kind.Title;
        }

        if (status == StatusCodes.Status413PayloadTooLarge && problem.Detail is null)
        {
            // Minimal APIs answer an over-long JSON body with a bare 413: say what the limit is.
            var limit = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata>()?.MaxRequestBodySize;
            problem.Detail = limit is null ? "The request body is over the size limit."
                : $"The request body is over the size limit of {limit} bytes (counted after decompression).";
        }

        problem.Instance ??= context.HttpContext.Request.Path;
        problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;
    }

    private static string? ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>Serves the page each problem type points at.</summary>
    public static IEndpointRouteBuilder MapProblemTypes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/problems/{kind}", (string kind) => Kinds.TryGetValue(kind, out var k)
                ? Results.Text($"{k.Status} {k.Title}\n\n{k.Meaning}\n", "text/plain; charset=utf-8")
                : NotFound($"There is no problem type '{kind}'."))
            .ExcludeFromDescription();
        return app;
    }
}

/// <summary>Thrown where a rule is checked outside a validator (query parameters, cursors); becomes a 400 validation problem.</summary>
public sealed class RequestValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Writes problem JSON when the built-in writer declines because the Accept header names only other
/// types (<c>Accept: text/csv</c> for an export): without it a refused key became a 500 with no body
/// and an unknown address plain text. A client that asked for CSV still learns what went wrong.
/// </summary>
public sealed class FallbackProblemWriter(IOptions<ProblemDetailsOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Status ??= context.HttpContext.Response.StatusCode;
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(
            problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }
}

/// <summary>
/// Turns what escapes a handler into problem JSON: unreadable bodies into 400s that name the field,
/// constraint violations into 409s that name the key, an unreachable database into 503 with
/// Retry-After, and anything else into a 500 that leaks nothing.
/// </summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            RequestValidationException e => Validation(e.Field, e.Message),
            BadHttpRequestException { InnerException: JsonException json } => FromJson(json),
            BadHttpRequestException e => FromBadRequest(e),
            JsonException json => FromJson(json),
            PostgresException pg => FromPostgres(pg),
            NpgsqlException or TimeoutException when IsUnavailable(exception) => Unavailable(),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => null,
            _ => null,
        };

        if (problem is null)
        {
            if (httpContext.RequestAborted.IsCancellationRequested)
            {
                return true; // the client went away; nobody is left to answer
            }

            logger.LogError(exception, "Unhandled exception for {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            problem = new ProblemDetails { Status = 500, Type = Problems.TypeFor(500), Detail = "An unexpected error occurred. Report the traceId if it persists." };
        }

        httpContext.Response.StatusCode = problem.Status ?? 500;
        if (httpContext.Response.StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    private static HttpValidationProblemDetails Validation(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = 400,
            Type = Problems.ValidationType,
            Title = Problems.Kinds["validation"].Title,
        };

    private static ProblemDetails FromJson(JsonException json)
    {
        var field = JsonPathToField(json.Path);
        var message = json.Message;
        var unmapped = UnmappedMember().Match(message);
        if (unmapped.Success)
        {
            // Depending on where it stops, STJ's path names the unknown property or its parent.
            var name = unmapped.Groups["name"].Value;
            field = string.IsNullOrEmpty(field) ? name : field == name || field.EndsWith("." + name, StringComparison.Ordinal) ? field : $"{field}.{name}";
            message = $"Unknown property '{name}'. Check its spelling against the documented schema.";
        }
        else if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
        {
            var type = ConvertTarget().Match(message).Groups["type"].Value;
            message = $"Expected {Describe(type)}.";
        }
        else if (message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
        {
            message = "The property appears more than once.";
        }
        else if (message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            message = "The JSON is nested too deeply.";
        }
        else if (json.Path is null || message.Contains("is invalid", StringComparison.Ordinal) || message.Contains("LineNumber", StringComparison.Ordinal))
        {
            // A syntax error: say where, without echoing parser internals.
            field = string.IsNullOrEmpty(field) ? "body" : field;
            message = json.LineNumber is { } line
                ? $"The body is not valid JSON (line {line + 1}, position {json.BytePositionInLine + 1})."
                : "The body is not valid JSON.";
        }

        return Validation(string.IsNullOrEmpty(field) ? "body" : field, message);
    }

    private static string Describe(string clrType) => clrType switch
    {
        "System.String" => "a string",
        "System.Int64" or "System.Int32" or "System.Nullable`1[System.Int64]" or "System.Nullable`1[System.Int32]" => "an integer",
        "System.Decimal" or "System.Nullable`1[System.Decimal]" or "System.Double" => "a number",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        _ when clrType.Contains("[]", StringComparison.Ordinal) || clrType.Contains("List", StringComparison.Ordinal) => "an array",
        _ when clrType.Contains("Dictionary", StringComparison.Ordinal) => "an object of string values",
        _ => "an object",
    };

    private static string JsonPathToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal).TrimStart('.');
    }

    private static ProblemDetails FromBadRequest(BadHttpRequestException e)
    {
        var bind = FailedBind().Match(e.Message);
        if (bind.Success)
        {
            var type = bind.Groups["type"].Value.TrimEnd('?').Replace("Nullable<", "", StringComparison.Ordinal).TrimEnd('>');
            var expected = type switch
            {
                "int" or "long" or "Int32" or "Int64" => "an integer",
                "decimal" or "double" or "Decimal" => "a number",
                "bool" or "Boolean" => "true or false",
                "DateTimeOffset" or "DateTime" => "a date and time (ISO 8601, such as 2024-01-31T12:00:00Z)",
                _ => "a valid value",
            };
            return Validation(JsonNamingPolicy.CamelCase.ConvertName(bind.Groups["name"].Value), $"'{bind.Groups["value"].Value}' is not {expected}.");
        }

        var status = e.StatusCode;
        var detail = status switch
        {
            413 => "The request body is over the size limit.",
            415 => "Send the body as application/json.",
            _ => e.Message.StartsWith("Required parameter", StringComparison.Ordinal) || e.Message.StartsWith("Implicit body", StringComparison.Ordinal)
                ? "The request needs a JSON body."
                : "The request could not be read.",
        };
        return status == 400
            ? Validation("body", detail)
            : new ProblemDetails { Status = status, Type = Problems.TypeFor(status), Detail = detail };
    }

    private static ProblemDetails FromPostgres(PostgresException pg) => pg.SqlState switch
    {
        // Raised by the audit_undo function of migration 0020.
        "DA404" => new ProblemDetails { Status = 404, Type = Problems.NotFoundType, Title = Problems.Kinds["not-found"].Title, Detail = $"There is no audit entry with this id." },
        "DA409" => Conflict(ConstraintMessages.Sentence(pg.MessageText) + "; undo the newer change first."),
        PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ExclusionViolation => Conflict(ConstraintMessages.Describe(pg)),
        PostgresErrorCodes.ForeignKeyViolation => Conflict(ConstraintMessages.Describe(pg)),
        PostgresErrorCodes.CheckViolation or PostgresErrorCodes.NotNullViolation or PostgresErrorCodes.StringDataRightTruncation
            => Validation(ConstraintMessages.Field(pg), ConstraintMessages.Describe(pg)),
        PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter
            => Validation("body", "The text contains a character that cannot be stored (such as NUL)."),
        PostgresErrorCodes.NumericValueOutOfRange or PostgresErrorCodes.DatetimeFieldOverflow
            => Validation("body", "A value is out of range."),
        _ when pg.IsTransient || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal)
            => new ProblemDetails { Status = 503, Type = Problems.TypeFor(503), Detail = "The database is unavailable. Try again shortly." },
        _ => null!,
    };

    private static ProblemDetails Conflict(string detail) =>
        new() { Status = 409, Type = Problems.ConflictType, Title = Problems.Kinds["conflict"].Title, Detail = detail };

    private static bool IsUnavailable(Exception e) => e is TimeoutException || e is NpgsqlException { IsTransient: true } ||
        e.InnerException is System.Net.Sockets.SocketException or TimeoutException;

    private static ProblemDetails Unavailable()
    {
        return new ProblemDetails { Status = 503, Type = Problems.TypeFor(503), Detail = "The database is unavailable. Try again shortly." };
    }

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"could not be converted to (?<type>[^.\s]+(\.[^.\s]+)*)\.")]
    private static partial Regex ConvertTarget();

    [GeneratedRegex(@"Failed to bind parameter ""(?<type>\S+) (?<name>\w+)"" from ""(?<value>.*)""")]
    private static partial Regex FailedBind();
}
