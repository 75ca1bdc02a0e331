using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Tracking.Store;

namespace Gateway.Tracking;

/// <summary>Trace JSON (the journal, the store's packed spans, the traces API), source-generated, snake_case like the rest of the API.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TraceRecord))]
[JsonSerializable(typeof(SpanRecord[]))]
[JsonSerializable(typeof(IReadOnlyList<SpanRecord>))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class TrackingJson : JsonSerializerContext;
