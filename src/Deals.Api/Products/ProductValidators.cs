using Deals.Api.Common;
using FluentValidation;

namespace Deals.Api.Products;

public sealed class ProductRequestValidator : AbstractValidator<ProductRequest>
{
    public ProductRequestValidator()
    {
        RuleFor(x => x.Name).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'name' is required.")
            .Must(n => n!.Trim().Length is >= 1 and <= 200).WithMessage("'name' must be 1 to 200 characters after trimming.")
            .PlainText();
        RuleFor(x => x.Slug!)
            .Must(Slugs.IsValid).WithMessage("'slug' must be lower-case letters, digits and single dashes (like 'kvm'), at most 200 characters.")
            .When(x => x.Slug is not null);
        RuleFor(x => x)
            .Must(x => Slugs.From(x.Name!.Trim()).Length > 0)
            .OverridePropertyName("slug")
            .WithMessage("A slug cannot be derived from this name (it has no Latin letters or digits); give one.")
            .When(x => x.Slug is null && x.Name is not null && x.Name.Trim().Length > 0);
        RuleFor(x => x.MakerId).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'makerId' is required.")
            .GreaterThan(0).WithMessage("'makerId' must be a positive company id.");
        RuleFor(x => x.Category!)
            .Must(c => c.Trim().Length is >= 1 and <= 100).WithMessage("'category' must be 1 to 100 characters after trimming.")
            .PlainText()
            .When(x => x.Category is not null);
        RuleFor(x => x.Description).MaximumLength(2000).PlainText();
    }
}
