using System.Diagnostics;

namespace Gateway.Tracking;

/// <summary>
/// A finished span as the request path keeps it until the writer takes it: a struct in one array per trace, ids
/// as numbers, its tags in one array. Traces wait in the writer's queue long enough to be promoted by the GC, so
/// what they hold there is kept to a few objects; the writer expands each into a <see cref="SpanRecord"/>
/// (hex ids, an attribute dictionary) just before it stores it.
/// </summary>
internal readonly record struct CompactSpan(
    string Name, ActivitySpanId Id, ActivitySpanId Parent, long StartedAtUs, double DurationMs, ActivityStatusCode Status, KeyValuePair<string, object?>[] Tags)
{
    public static CompactSpan Of(Activity activity)
    {
        var count = 0;
        foreach (var _ in activity.TagObjects)
        {
            count++;
        }

        var tags = count == 0 ? [] : new KeyValuePair<string, object?>[count];
        var i = 0;
        foreach (var tag in activity.TagObjects)
        {
            if (i == tags.Length)
            {
                break; // a tag added meanwhile by another thread: the span has ended, it goes without it
            }

            tags[i++] = tag;
        }

        return new CompactSpan(activity.DisplayName, activity.SpanId, activity.ParentSpanId,
            activity.StartTimeUtc.Ticks / 10 - DateTime.UnixEpoch.Ticks / 10, activity.Duration.TotalMilliseconds, activity.Status, tags);
    }

    public SpanRecord Expand()
    {
        var attributes = new Dictionary<string, object?>(Tags.Length, StringComparer.Ordinal);
        foreach (var (key, value) in Tags)
        {
            attributes[key] = value;
        }

        return new SpanRecord(
            Name,
            Id.ToHexString(),
            Parent == default ? null : Parent.ToHexString(),
            StartedAtUs,
            DurationMs,
            Status switch { ActivityStatusCode.Error => "ERROR", ActivityStatusCode.Ok => "OK", _ => "UNSET" },
            attributes);
    }

    public static SpanRecord[] Expand(CompactSpan[] spans)
    {
        var records = new SpanRecord[spans.Length];
        for (var i = 0; i < spans.Length; i++)
        {
            records[i] = spans[i].Expand();
        }

        return records;
    }
}
