using Deals.Api.Common;
using FluentValidation;

namespace Deals.Api.Companies;

public sealed class CompanyRequestValidator : AbstractValidator<CompanyRequest>
{
    public CompanyRequestValidator(ReferenceData reference)
    {
        RuleFor(x => x.Name).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'name' is required.")
            .Must(n => n!.Trim().Length is >= 1 and <= 200).WithMessage("'name' must be 1 to 200 characters after trimming.")
            .PlainText();
        RuleFor(x => x.Slug!)
            .Must(Slugs.IsValid).WithMessage("'slug' must be lower-case letters, digits and single dashes (like 'red-hat'), at most 200 characters.")
            .When(x => x.Slug is not null);
        RuleFor(x => x)
            .Must(x => Slugs.From(x.Name!.Trim()).Length > 0)
            .WithName("slug")
            .OverridePropertyName("slug")
            .WithMessage("A slug cannot be derived from this name (it has no Latin letters or digits); give one.")
            .When(x => x.Slug is null && x.Name is not null && x.Name.Trim().Length > 0);
        RuleFor(x => x.Aliases!)
            .Must(a => a.Count <= 50).WithMessage("At most 50 aliases.")
            .When(x => x.Aliases is not null);
        RuleForEach(x => x.Aliases).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("An alias cannot be null.")
            .Must(a => a!.Trim().Length is >= 1 and <= 200).WithMessage("Each alias must be 1 to 200 characters after trimming.")
            .PlainText();
        RuleFor(x => x.ExternalIds!)
            .Must(e => e.Count <= 20).WithMessage("At most 20 external ids.")
            .When(x => x.ExternalIds is not null);
        RuleForEach(x => x.ExternalIds).Cascade(CascadeMode.Stop)
            .Must(kv => IsRegistry(kv.Key)).WithMessage(RegistryRule)
            .Must(kv => kv.Value is not null && kv.Value.Trim().Length is >= 1 and <= 200 && Validation.IsPlainText(kv.Value))
            .WithMessage("Each external id must be 1 to 200 characters of plain text.");
        RuleFor(x => x.Country!)
            .Must(c => reference.Country(c) is not null).WithMessage("'country' must be an ISO 3166-1 alpha-2 or alpha-3 code, like 'US' or 'USA'.")
            .When(x => x.Country is not null);
        RuleFor(x => x.Website).HttpUrl();
        RuleFor(x => x.Description).MaximumLength(2000).PlainText();
    }

    /// <summary>What a registry name is, as the API says it.</summary>
    public const string RegistryRule = "Registry names are lower-case letters, digits, '_', '.' or '-', at most 50 characters (like 'crunchbase').";

    /// <summary>Whether <paramref name="name"/> can name a registry of external ids (as the database's check says).</summary>
    public static bool IsRegistry(string name) => RegistryPattern.IsMatch(name);

    private static readonly System.Text.RegularExpressions.Regex RegistryPattern = new("^[a-z0-9][a-z0-9_.-]{0,49}$", System.Text.RegularExpressions.RegexOptions.Compiled);
}

public sealed class MergeRequestValidator : AbstractValidator<MergeRequest>
{
    public MergeRequestValidator()
    {
        RuleFor(x => x.Duplicate).Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("'duplicate' is required: the id or slug of the company to fold in.")
            .MaximumLength(200)
            .PlainText();
    }
}
