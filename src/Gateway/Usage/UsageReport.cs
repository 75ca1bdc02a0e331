using System.Globalization;
using System.Text;
using System.Text.Json;
using Gateway.Errors;
using Gateway.Tracking.Store;

namespace Gateway.Usage;

/// <summary>
/// A usage and cost report over the hourly rollups: requests, errors, tokens by kind and cost, per any mix of
/// user, group, key, endpoint, provider, model, day and hour. The API, the CSV download and the CLI all print
/// this one report. A request of a user in two groups counts once in each group's row (and once in totals).
/// </summary>
internal sealed record UsageReport(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsageDimension> GroupBy, IReadOnlyList<UsageReport.Line> Lines, UsageReport.Line Totals)
{
    public static readonly IReadOnlyDictionary<string, UsageDimension> DimensionNames = new Dictionary<string, UsageDimension>(StringComparer.OrdinalIgnoreCase)
    {
        ["user"] = UsageDimension.User,
        ["group"] = UsageDimension.Group,
        ["key"] = UsageDimension.Key,
        ["endpoint"] = UsageDimension.Endpoint,
        ["provider"] = UsageDimension.Provider,
        ["model"] = UsageDimension.Model,
        ["day"] = UsageDimension.Day,
        ["hour"] = UsageDimension.Hour,
    };

    private static readonly string[] MetricColumns =
        ["requests", "errors", "prompt_tokens", "completion_tokens", "cached_tokens", "reasoning_tokens", "total_tokens", "estimated_requests", "cost_usd"];

    /// <summary>One row: the dimension values (in group_by order) and the sums.</summary>
    internal sealed record Line(IReadOnlyList<string> Keys, UsageRow Sums)
    {
        public decimal CostUsd => Sums.CostNanoUsd / 1_000_000_000m;
    }

    /// <summary>Parses group_by (comma-separated) and interval into dimensions; an error names what is wrong.</summary>
    public static string? TryParseDimensions(string? groupBy, string? interval, out List<UsageDimension> dimensions)
    {
        dimensions = [];
        foreach (var name in (groupBy ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!DimensionNames.TryGetValue(name, out var dimension))
            {
                return $"group_by: '{name}' is not one of {string.Join(", ", DimensionNames.Keys)}";
            }

            if (!dimensions.Contains(dimension))
            {
                dimensions.Add(dimension);
            }
        }

        if (interval is not null)
        {
            if (interval is not ("day" or "hour"))
            {
                return $"interval: '{interval}' is not day or hour";
            }

            var dimension = interval == "day" ? UsageDimension.Day : UsageDimension.Hour;
            if (!dimensions.Contains(dimension))
            {
                dimensions.Insert(0, dimension);
            }
        }

        if (dimensions.Contains(UsageDimension.Day) && dimensions.Contains(UsageDimension.Hour))
        {
            return "group_by: day and hour together; pick one interval";
        }

        return null;
    }

    /// <summary>A date (2026-11-01, midnight UTC) or a date and time with an offset (2026-11-01T09:00:00Z).</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Rollups are hourly: from rounds down to its hour, to up to the next (so the current hour counts).</summary>
    public static (DateTimeOffset From, DateTimeOffset To) HourBounds(DateTimeOffset from, DateTimeOffset to)
    {
        var hour = TimeSpan.TicksPerHour;
        var start = new DateTimeOffset(from.UtcTicks / hour * hour, TimeSpan.Zero);
        var end = new DateTimeOffset((to.UtcTicks + hour - 1) / hour * hour, TimeSpan.Zero);
        return (start, end);
    }

    public static async Task<UsageReport> RunAsync(ITraceStore store, DateTimeOffset from, DateTimeOffset to, IReadOnlyList<UsageDimension> groupBy, string? onlyUser, CancellationToken cancellationToken)
    {
        (from, to) = HourBounds(from, to);
        var rows = await store.UsageAsync(new UsageQuery(from, to, groupBy.ToHashSet(), onlyUser), cancellationToken);
        var byGroup = groupBy.Contains(UsageDimension.Group);
        var lines = new Dictionary<string, (List<string> Keys, UsageRow Sums)>(StringComparer.Ordinal);
        var totals = new UsageRow();
        foreach (var row in rows)
        {
            totals = Add(totals, row);
            // A row's groups column holds all of the request's groups: it counts toward each of them.
            var groups = byGroup ? SqlTraceStore.ParseGroups(row.Groups ?? "") is { Count: > 0 } g ? g : [""] : [""];
            foreach (var group in groups)
            {
                var keys = groupBy.Select(d => KeyOf(d, row, group)).ToList();
                var id = string.Join('\u001f', keys);
                lines[id] = lines.TryGetValue(id, out var existing) ? (keys, Add(existing.Sums, row)) : (keys, Strip(row));
            }
        }

        var ordered = lines.Values
            .Select(l => new Line(l.Keys, l.Sums))
            .OrderBy(l => l.Keys, KeysComparer.Instance)
            .ToList();
        return new UsageReport(from, to, groupBy, ordered, new Line([], totals));
    }

    public string ToCsv()
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', GroupBy.Select(Name).Concat(MetricColumns)).Append("\r\n");
        foreach (var line in Lines)
        {
            csv.AppendJoin(',', line.Keys.Select(Csv).Concat(Metrics(line))).Append("\r\n");
        }

        return csv.ToString();
    }

    public string ToTable()
    {
        var header = GroupBy.Select(Name).Concat(MetricColumns).ToList();
        var body = Lines.Select(l => l.Keys.Concat(Metrics(l)).ToList()).ToList();
        body.Add([.. Enumerable.Repeat("", GroupBy.Count).Select((_, i) => i == 0 ? "TOTAL" : ""), .. Metrics(Totals)]);
        if (GroupBy.Count == 0)
        {
            body.RemoveAt(body.Count - 1);
            body.Add([.. Metrics(Totals)]);
        }

        var widths = header.Select((h, i) => Math.Max(h.Length, body.Count == 0 ? 0 : body.Max(r => r[i].Length))).ToArray();
        var table = new StringBuilder();
        void Row(IReadOnlyList<string> cells) => table.AppendLine(string.Join("  ", cells.Select((c, i) => i < GroupBy.Count ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd());
        Row(header);
        Row([.. widths.Select(w => new string('-', w))]);
        foreach (var row in body)
        {
            Row(row);
        }

        return table.ToString();
    }

    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("from", From);
        json.WriteString("to", To);
        json.WriteStartArray("group_by");
        foreach (var dimension in GroupBy)
        {
            json.WriteStringValue(Name(dimension));
        }

        json.WriteEndArray();
        json.WriteStartArray("rows");
        foreach (var line in Lines)
        {
            json.WriteStartObject();
            for (var i = 0; i < GroupBy.Count; i++)
            {
                json.WriteString(Name(GroupBy[i]), line.Keys[i]);
            }

            WriteMetrics(json, line);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartObject("totals");
        WriteMetrics(json, Totals);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = GatewayJson.WriterOptions.Encoder }))
        {
            WriteJson(json);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteMetrics(Utf8JsonWriter json, Line line)
    {
        var s = line.Sums;
        json.WriteNumber("requests", s.Requests);
        json.WriteNumber("errors", s.Errors);
        json.WriteNumber("prompt_tokens", s.PromptTokens);
        json.WriteNumber("completion_tokens", s.CompletionTokens);
        json.WriteNumber("cached_tokens", s.CachedTokens);
        json.WriteNumber("reasoning_tokens", s.ReasoningTokens);
        json.WriteNumber("total_tokens", s.PromptTokens + s.CompletionTokens);
        json.WriteNumber("estimated_requests", s.EstimatedRequests);
        json.WriteNumber("cost_usd", line.CostUsd);
    }

    private static IEnumerable<string> Metrics(Line line)
    {
        var s = line.Sums;
        long[] counts = [s.Requests, s.Errors, s.PromptTokens, s.CompletionTokens, s.CachedTokens, s.ReasoningTokens, s.PromptTokens + s.CompletionTokens, s.EstimatedRequests];
        return counts.Select(c => c.ToString(CultureInfo.InvariantCulture)).Append(line.CostUsd.ToString("0.000000000", CultureInfo.InvariantCulture));
    }

    public static string Name(UsageDimension dimension) => DimensionNames.First(d => d.Value == dimension).Key;

    private static string KeyOf(UsageDimension dimension, UsageRow row, string group) => dimension switch
    {
        UsageDimension.Day => DateTimeOffset.FromUnixTimeSeconds(row.HourStart ?? 0).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        UsageDimension.Hour => DateTimeOffset.FromUnixTimeSeconds(row.HourStart ?? 0).ToString("yyyy-MM-dd'T'HH':00:00Z'", CultureInfo.InvariantCulture),
        UsageDimension.User => row.User ?? "",
        UsageDimension.Group => group,
        UsageDimension.Key => row.KeyId ?? "",
        UsageDimension.Endpoint => row.Endpoint ?? "",
        UsageDimension.Provider => row.Provider ?? "",
        _ => row.Model ?? "",
    };

    /// <summary>Only the sums: the dimension fields of the first row would be misleading on a merged line.</summary>
    private static UsageRow Strip(UsageRow row) => Add(new UsageRow(), row);

    private static UsageRow Add(UsageRow a, UsageRow b) => new()
    {
        Requests = a.Requests + b.Requests,
        Errors = a.Errors + b.Errors,
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        CachedTokens = a.CachedTokens + b.CachedTokens,
        ReasoningTokens = a.ReasoningTokens + b.ReasoningTokens,
        EstimatedRequests = a.EstimatedRequests + b.EstimatedRequests,
        CostNanoUsd = a.CostNanoUsd + b.CostNanoUsd,
    };

    /// <summary>RFC 4180: quote a field with a comma, quote or line break, doubling its quotes; defuse spreadsheet formulas.</summary>
    private static string Csv(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private sealed class KeysComparer : IComparer<IReadOnlyList<string>>
    {
        public static readonly KeysComparer Instance = new();

        public int Compare(IReadOnlyList<string>? x, IReadOnlyList<string>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                var c = string.CompareOrdinal(x[i], y[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return x.Count.CompareTo(y.Count);
        }
    }
}
