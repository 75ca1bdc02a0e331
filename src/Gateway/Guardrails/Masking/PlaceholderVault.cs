using System.Globalization;

namespace Gateway.Guardrails.Masking;

/// <summary>
/// One request's placeholders: each distinct value of an entity gets its own (<c>&lt;EMAIL_1&gt;</c>,
/// <c>&lt;EMAIL_2&gt;</c>), and the same value always the same one, so the model can still tell two people apart
/// and the answer can be restored. Lives only as long as its request; never logged or traced.
/// </summary>
internal sealed class PlaceholderVault
{
    private readonly Dictionary<(string Entity, string Value), string> _byValue = [];
    private readonly Dictionary<string, string> _byPlaceholder = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);

    /// <summary>How many placeholders may be restored.</summary>
    public int Count => _byPlaceholder.Count;

    /// <summary>The longest placeholder handed out: how much a stream must hold back to restore one split in two.</summary>
    public int LongestPlaceholder { get; private set; }

    /// <param name="restorable">
    /// False for a placeholder that must stay in the answer (a guardrail with restore: false, or one masking the
    /// answer itself): it still takes a number, so it can never be mistaken for a restorable one.
    /// </param>
    public string PlaceholderFor(string entity, string value, bool restorable = true)
    {
        if (_byValue.TryGetValue((entity, value), out var placeholder))
        {
            return placeholder;
        }

        var number = _numbers[entity] = _numbers.GetValueOrDefault(entity) + 1;
        placeholder = string.Create(CultureInfo.InvariantCulture, $"<{entity}_{number}>");
        _byValue[(entity, value)] = placeholder;
        if (restorable)
        {
            _byPlaceholder[placeholder] = value;
            LongestPlaceholder = Math.Max(LongestPlaceholder, placeholder.Length);
        }

        return placeholder;
    }

    public bool TryGetValue(ReadOnlySpan<char> placeholder, out string value) =>
        _byPlaceholder.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(placeholder, out value!);
}
