using Gateway.Configuration.Model;

namespace Gateway.RateLimiting;

/// <summary>
/// Where "now" falls in a limit's window. A sliding window is cut into <see cref="BucketsPerWindow"/> buckets and
/// a count stays for the bucket it fell in plus <see cref="Span"/> more, so it counts for at least the whole window
/// and at most one bucket longer: the limit can only be undershot, never overshot. A calendar month is one
/// fixed bucket (span 0) that ends at the month's end.
/// </summary>
/// <param name="Bucket">The current bucket's number (buckets since the epoch, or months since year 0).</param>
/// <param name="Span">How many buckets before the current one still count.</param>
/// <param name="BucketMs">A bucket's length in milliseconds (a month's: the current one's).</param>
/// <param name="MsToBucketEnd">Milliseconds from now to the current bucket's end.</param>
internal readonly record struct WindowSlot(long Bucket, long Span, long BucketMs, long MsToBucketEnd)
{
    public const int BucketsPerWindow = 60;

    public static WindowSlot At(RateWindow window, DateTimeOffset now)
    {
        if (window.IsCalendarMonth)
        {
            var utc = now.UtcDateTime;
            var start = new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
            var end = start.AddMonths(1);
            return new WindowSlot(utc.Year * 12L + utc.Month - 1, 0, (long)(end - start).TotalMilliseconds, Math.Max(1, (long)Math.Ceiling((end - now).TotalMilliseconds)));
        }

        var windowMs = (long)window.Length.TotalMilliseconds;
        var bucketMs = Math.Max(1, (windowMs + BucketsPerWindow - 1) / BucketsPerWindow);
        var nowMs = now.ToUnixTimeMilliseconds();
        var bucket = nowMs / bucketMs;
        // Buckets that together cover the window, plus the current (partly elapsed) one.
        var span = (windowMs + bucketMs - 1) / bucketMs;
        return new WindowSlot(bucket, span, bucketMs, (bucket + 1) * bucketMs - nowMs);
    }

    /// <summary>Milliseconds until counts made in <paramref name="bucket"/> stop counting.</summary>
    public long MsUntilExpiry(long bucket) => MsToBucketEnd + (bucket + Span - Bucket) * BucketMs;

    /// <summary>Milliseconds until everything counted so far has stopped counting.</summary>
    public long MsUntilReset => MsUntilExpiry(Bucket);
}
