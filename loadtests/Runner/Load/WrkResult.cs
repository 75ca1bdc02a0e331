using System.Text.Json.Serialization;

namespace LoadTests.Runner.Load;

/// <summary>What wrk's done() hook in loadtests/wrk/post.lua prints; latencies in microseconds.</summary>
internal sealed record WrkResult
{
    [JsonPropertyName("requests")] public long Requests { get; init; }
    [JsonPropertyName("duration_us")] public long DurationMicroseconds { get; init; }
    [JsonPropertyName("bytes")] public long Bytes { get; init; }
    [JsonPropertyName("connect_errors")] public long ConnectErrors { get; init; }
    [JsonPropertyName("read_errors")] public long ReadErrors { get; init; }
    [JsonPropertyName("write_errors")] public long WriteErrors { get; init; }
    [JsonPropertyName("status_errors")] public long StatusErrors { get; init; }
    [JsonPropertyName("timeouts")] public long Timeouts { get; init; }
    [JsonPropertyName("mean_us")] public double MeanMicroseconds { get; init; }
    [JsonPropertyName("p50_us")] public long P50Microseconds { get; init; }
    [JsonPropertyName("p90_us")] public long P90Microseconds { get; init; }
    [JsonPropertyName("p99_us")] public long P99Microseconds { get; init; }
    [JsonPropertyName("p999_us")] public long P999Microseconds { get; init; }
    [JsonPropertyName("max_us")] public long MaxMicroseconds { get; init; }

    public double RequestsPerSecond => DurationMicroseconds == 0 ? 0 : Requests / (DurationMicroseconds / 1e6);

    public long Errors => ConnectErrors + ReadErrors + WriteErrors + StatusErrors + Timeouts;
}
