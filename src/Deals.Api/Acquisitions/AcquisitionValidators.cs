using Deals.Api.Common;
using FluentValidation;

namespace Deals.Api.Acquisitions;

public sealed class AcquisitionRequestValidator : AbstractValidator<AcquisitionRequest>
{
    public const decimal MaxAmount = 1_000_000_000_000_000m;

    public AcquisitionRequestValidator(ReferenceData reference, TimeProvider clock)
    {
        RuleFor(x => x.BuyerId).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'buyerId' is required.")
            .GreaterThan(0).WithMessage("'buyerId' must be a positive company id.");
        RuleFor(x => x.TargetId).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'targetId' is required.")
            .GreaterThan(0).WithMessage("'targetId' must be a positive company id.")
            .NotEqual(x => x.BuyerId).WithMessage("The buyer and the target must be different companies.");
        RuleFor(x => x.AnnouncedOn).Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("'announcedOn' is required.")
            .Must(d => d!.Value.Start >= PartialDate.Earliest).WithMessage("'announcedOn' cannot be before 1800.")
            .Must(d => d!.Value.Start <= Latest(clock)).WithMessage("'announcedOn' cannot be more than a year from today.");
        RuleFor(x => x.ClosedOn!.Value).Cascade(CascadeMode.Stop)
            .Must(d => d.Start <= Latest(clock)).WithMessage("'closedOn' cannot be more than a year from today.")
            .OverridePropertyName("closedOn")
            .When(x => x.ClosedOn is not null);
        RuleFor(x => x.ClosedOn!.Value)
            .Must((x, closed) => closed.End >= x.AnnouncedOn!.Value.Start)
            .WithMessage("'closedOn' cannot be before 'announcedOn'.")
            .OverridePropertyName("closedOn")
            .When(x => x.ClosedOn is not null && x.AnnouncedOn is not null);
        When(x => x.Price is not null, () =>
        {
            RuleFor(x => x.Price!.Amount).Cascade(CascadeMode.Stop)
                .NotNull().WithMessage("'price.amount' is required when a price is given; send \"price\": null for an undisclosed price.")
                .GreaterThan(0).WithMessage("'price.amount' must be greater than 0; an undisclosed price is \"price\": null.")
                .LessThan(MaxAmount).WithMessage("'price.amount' must be below 10^15.")
                .Must(a => a!.Value.Scale <= 2 || decimal.Round(a.Value, 2) == a.Value).WithMessage("'price.amount' has at most 2 decimals.")
                .OverridePropertyName("price.amount");
            RuleFor(x => x.Price!.Currency).Cascade(CascadeMode.Stop)
                .NotNull().WithMessage("'price.currency' is required when a price is given.")
                .Must(c => reference.IsCurrency(c!)).WithMessage("'price.currency' must be an active ISO 4217 code, like 'USD'.")
                .OverridePropertyName("price.currency");
        });
        RuleFor(x => x.ProductIds!)
            .Must(p => p.Count <= 100).WithMessage("At most 100 products.")
            .Must(p => p.All(id => id > 0)).WithMessage("Product ids are positive.")
            .Must(p => p.Distinct().Count() == p.Count).WithMessage("A product is listed twice.")
            .OverridePropertyName("productIds")
            .When(x => x.ProductIds is not null);
        RuleFor(x => x.SourceUrl).HttpUrl();
        RuleFor(x => x.Notes).MaximumLength(4000).PlainText();
    }

    private static DateOnly Latest(TimeProvider clock) => DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).AddYears(1);
}
