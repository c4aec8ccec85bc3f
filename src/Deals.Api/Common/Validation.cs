using System.Text.RegularExpressions;
using FluentValidation;

namespace Deals.Api.Common;

/// <summary>
/// Runs the FluentValidation validator of every argument that has one, before the handler; a
/// failure is a 400 validation problem whose <c>errors</c> use the JSON field names.
/// </summary>
public static partial class Validation
{
    public static TBuilder WithValidation<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.AddEndpointFilterFactory((context, next) =>
        {
            var validated = context.MethodInfo.GetParameters()
                .Select((p, i) => (Index: i, Validator: typeof(IValidator<>).MakeGenericType(p.ParameterType)))
                .Where(x => context.ApplicationServices.GetService(x.Validator) is not null)
                .ToArray();
            if (validated.Length == 0)
            {
                return next;
            }

            return async invocation =>
            {
                foreach (var (index, validatorType) in validated)
                {
                    if (invocation.Arguments[index] is not { } argument)
                    {
                        return Problems.Validation("body", "The request needs a JSON body.");
                    }

                    var validator = (IValidator)invocation.HttpContext.RequestServices.GetRequiredService(validatorType);
                    var result = await validator.ValidateAsync(new ValidationContext<object>(argument), invocation.HttpContext.RequestAborted);
                    if (!result.IsValid)
                    {
                        return Problems.Validation(result.ToDictionary());
                    }
                }

                return await next(invocation);
            };
        });
        return builder;
    }

    /// <summary>Field names in errors are the JSON paths: <c>price.amount</c>, <c>aliases[1]</c>.</summary>
    public static void UseJsonNames()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, expression) =>
            member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
            member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
    }

    /// <summary>Text a user typed: no NUL or other control characters except tab and line breaks, and no lone surrogates.</summary>
    public static IRuleBuilderOptions<T, string?> PlainText<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(s => s is null || IsPlainText(s)).WithMessage("'{PropertyName}' contains a control character or an invalid Unicode sequence.");

    public static bool IsPlainText(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c) || (char.IsControl(c) && c is not ('\t' or '\n' or '\r')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An absolute http or https URL of at most 2000 characters.</summary>
    public static IRuleBuilderOptions<T, string?> HttpUrl<T>(this IRuleBuilder<T, string?> rule) =>
        rule.Must(s => s is null || IsHttpUrl(s))
            .WithMessage("'{PropertyName}' must be an absolute http or https URL of at most 2000 characters.");

    /// <summary>
    /// An absolute http or https URL of at most 2000 characters, without spaces or control characters (which
    /// <see cref="Uri"/> would accept, and PostgreSQL cannot store a NUL).
    /// </summary>
    public static bool IsHttpUrl(string s) =>
        s.Length <= 2000 && s.AsSpan().IndexOfAnyInRange('\0', ' ') < 0 && IsPlainText(s)
        && Uri.TryCreate(s, UriKind.Absolute, out var u)
        && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps) && !string.IsNullOrEmpty(u.Host)
        && UrlStart().IsMatch(s);

    [GeneratedRegex(@"^https?://[^\s/?#]+", RegexOptions.IgnoreCase)]
    private static partial Regex UrlStart();
}
