using System.Globalization;

namespace Gateway.Configuration.Model;

/// <summary>Durations as written in gateway.yaml: a whole number and a unit, such as 250ms, 30s, 1m, 1h, 1d.</summary>
internal static class Durations
{
    public const string Help = "a duration such as 500ms, 30s, 1m, 1h or 1d";

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        var span = text.AsSpan().Trim();
        int digits = 0;
        while (digits < span.Length && char.IsAsciiDigit(span[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(span[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        TimeSpan? parsed = span[digits..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
        if (parsed is not { } result || result <= TimeSpan.Zero)
        {
            return false;
        }

        duration = result;
        return true;
    }

    public static string Format(TimeSpan duration) => duration switch
    {
        var d when d.Ticks % TimeSpan.TicksPerDay == 0 => $"{(long)d.TotalDays}d",
        var d when d.Ticks % TimeSpan.TicksPerHour == 0 => $"{(long)d.TotalHours}h",
        var d when d.Ticks % TimeSpan.TicksPerMinute == 0 => $"{(long)d.TotalMinutes}m",
        var d when d.Ticks % TimeSpan.TicksPerSecond == 0 => $"{(long)d.TotalSeconds}s",
        var d => $"{(long)d.TotalMilliseconds}ms",
    };
}
