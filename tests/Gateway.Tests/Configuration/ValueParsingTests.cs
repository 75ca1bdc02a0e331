using Gateway.Configuration.Model;

namespace Gateway.Tests.Configuration;

public sealed class ValueParsingTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("1m", 60_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    public void Durations_parse_with_their_unit(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
        Assert.Equal(text, Durations.Format(duration));
    }

    [Theory]
    [InlineData("30")]
    [InlineData("0s")]
    [InlineData("-1s")]
    [InlineData("1.5s")]
    [InlineData("1w")]
    [InlineData("s")]
    public void Durations_without_a_known_unit_or_positive_whole_number_are_rejected(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Theory]
    [InlineData("512KB", 512L * 1024)]
    [InlineData("32MB", 32L * 1024 * 1024)]
    [InlineData("1GB", 1024L * 1024 * 1024)]
    [InlineData("1000", 1000)]
    public void Sizes_parse_in_binary_units(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var size));
        Assert.Equal(bytes, size.Bytes);
    }

    [Fact]
    public void Rate_windows_are_durations_or_the_calendar_month()
    {
        Assert.True(RateWindow.TryParse("month", out var month));
        Assert.True(month.IsCalendarMonth);
        Assert.True(RateWindow.TryParse("1m", out var minute));
        Assert.Equal(TimeSpan.FromMinutes(1), minute.Length);
        Assert.False(RateWindow.TryParse("monthly", out _));
    }
}
