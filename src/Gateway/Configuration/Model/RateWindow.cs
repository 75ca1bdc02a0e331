namespace Gateway.Configuration.Model;

/// <summary>A rate-limit window: a fixed duration, or the calendar month (which has no fixed length).</summary>
internal readonly record struct RateWindow(TimeSpan Length, bool IsCalendarMonth)
{
    public static bool TryParse(string text, out RateWindow window)
    {
        if (text.Trim() == "month")
        {
            window = new RateWindow(TimeSpan.Zero, IsCalendarMonth: true);
            return true;
        }

        var ok = Durations.TryParse(text, out var length);
        window = new RateWindow(length, IsCalendarMonth: false);
        return ok;
    }

    public override string ToString() => IsCalendarMonth ? "month" : Durations.Format(Length);
}
