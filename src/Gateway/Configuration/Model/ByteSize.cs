using System.Globalization;

namespace Gateway.Configuration.Model;

/// <summary>A size in bytes written as 512KB, 32MB, 1GB or a plain number of bytes.</summary>
internal readonly record struct ByteSize(long Bytes)
{
    public static ByteSize FromMegabytes(long megabytes) => new(megabytes * 1024 * 1024);

    public static bool TryParse(string text, out ByteSize size)
    {
        size = default;
        var span = text.AsSpan().Trim();
        long multiplier = 1;
        if (span.EndsWith("KB", StringComparison.OrdinalIgnoreCase)) { multiplier = 1024; span = span[..^2]; }
        else if (span.EndsWith("MB", StringComparison.OrdinalIgnoreCase)) { multiplier = 1024 * 1024; span = span[..^2]; }
        else if (span.EndsWith("GB", StringComparison.OrdinalIgnoreCase)) { multiplier = 1024L * 1024 * 1024; span = span[..^2]; }
        else if (span.EndsWith('B')) { span = span[..^1]; }

        if (!long.TryParse(span.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0 || value > long.MaxValue / multiplier)
        {
            return false;
        }

        size = new ByteSize(value * multiplier);
        return true;
    }

    public override string ToString() => Bytes switch
    {
        var b when b % (1024 * 1024 * 1024) == 0 => $"{b / (1024 * 1024 * 1024)}GB",
        var b when b % (1024 * 1024) == 0 => $"{b / (1024 * 1024)}MB",
        var b when b % 1024 == 0 => $"{b / 1024}KB",
        var b => b.ToString(CultureInfo.InvariantCulture),
    };
}
