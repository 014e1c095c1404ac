using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;

namespace XRay.Gateway.Problems;

/// <summary>Collects field errors and turns them into one RFC 7807 validation problem.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];
        return this;
    }

    /// <summary>Requires a non-blank string of at most <paramref name="maxLength"/> characters.</summary>
    public Validation Required(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return Add(field, $"'{field}' is required.");
        }

        return value.Length > maxLength ? Add(field, $"'{field}' must be at most {maxLength} characters.") : this;
    }

    /// <summary>Requires a plain email address (<c>local@domain</c>, no display name).</summary>
    public Validation Email(string field, string? value)
    {
        Required(field, value, 254);
        if (!string.IsNullOrWhiteSpace(value)
            && (!MailAddress.TryCreate(value, out var address) || address.Address != value || !address.Host.Contains('.', StringComparison.Ordinal)))
        {
            Add(field, $"'{field}' is not a valid email address.");
        }

        return this;
    }

    /// <summary>The problem: every message in <c>detail</c> (for a reader of the body) and per field in <c>errors</c>.</summary>
    public ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(_errors, detail: string.Join(" ", _errors.Values.SelectMany(m => m)), title: "The request is invalid.");
}
