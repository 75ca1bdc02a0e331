using System.ComponentModel;
using Gateway.Configuration.Binding;

namespace Gateway.Configuration.Model;

internal sealed record GuardrailConfig
{
    [Description("Built-in entity types to detect: EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, SECRET.")]
    public IReadOnlyList<string> Entities { get; init; } = [];

    [Description("What to do with a finding: mask (placeholders, restored in the answer), redact (the entity type, not restorable), block (refuse the request, or withhold the answer) or log (change nothing, record the finding).")]
    [AllowedValues("mask", "redact", "block", "log")]
    public string Action { get; init; } = "mask";

    [Description("Which way the guardrail looks: at what the caller sends (request), at what the model answers (response), or both.")]
    [AllowedValues("request", "response", "both")]
    public string Direction { get; init; } = "both";

    [Description("mask only: put the original values back where the answer repeats a placeholder; false leaves the placeholders.")]
    public bool Restore { get; init; } = true;

    [Description("Admin-defined patterns, each reported under its own name (the CUSTOM entities).")]
    public IReadOnlyList<CustomPatternConfig> Patterns { get; init; } = [];

    [Description("Lowest confidence (0-1) that counts as a finding, by entity type or pattern name; default 0.5 for each.")]
    public IReadOnlyDictionary<string, double> Thresholds { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    [Description("ISO 3166 region whose national phone formats count as PHONE; numbers written with + and a country code count from anywhere.")]
    public string PhoneRegion { get; init; } = "US";
}

internal sealed record CustomPatternConfig
{
    [Description("Entity name reported for a match and used in placeholders (<NAME_1>): capitals, digits and '_'.")]
    public required string Name { get; init; }

    [Description(".NET regular expression; matched without backtracking where it can be (no look-arounds or back-references), else with a 100 ms limit per text.")]
    public required string Regex { get; init; }

    [Description("Checksum a match must also pass: luhn, credit_card (Luhn and a card brand), iban (mod-97) or us_ssn.")]
    [AllowedValues("luhn", "credit_card", "iban", "us_ssn")]
    public string? Validator { get; init; }

    [Description("Confidence (0-1) of a match before context; compared with the entity's threshold (0.5 unless set).")]
    public double Score { get; init; } = 0.6;

    [Description("Words that raise a match's confidence by 0.35 when one appears within 40 characters of it (case-insensitive).")]
    public IReadOnlyList<string> Context { get; init; } = [];

    [Description("Words that lower a match's confidence by 0.35 when one appears within 40 characters of it (case-insensitive).")]
    public IReadOnlyList<string> NegativeContext { get; init; } = [];
}

internal sealed record ModelPrice
{
    [Description("USD per 1M input (prompt) tokens.")]
    public decimal Input { get; init; }

    [Description("USD per 1M output (completion) tokens.")]
    public decimal Output { get; init; }

    [Description("USD per 1M cached input tokens; defaults to the input price.")]
    public decimal? CachedInput { get; init; }
}

internal sealed record RateLimitsConfig
{
    [Description("redis://host:port (or rediss:// for TLS) for limits shared by every replica; memory for per-replica limits. Read at start-up.")]
    [Secret(OnlyUserInfo = true)]
    public string Store { get; init; } = "memory";

    [Description("When the store is unreachable or slower than 'timeout': allow (each replica decides locally with its share of every limit) or deny (503).")]
    [AllowedValues("allow", "deny")]
    public string OnStoreDown { get; init; } = "allow";

    [Description("How long a request waits for the store's answer before it counts as down.")]
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(100);

    [Description("Prefix of every counter key, inside a Redis Cluster hash tag ({prefix}) so one script can touch all of a request's counters. Read at start-up.")]
    public string KeyPrefix { get; init; } = "gateway";

    [Description("Replicas to assume for local shares until the store has counted the live ones (each replica registers itself there). Read at start-up.")]
    public int Replicas { get; init; } = 1;
}

internal sealed record TrackingConfig
{
    [Description("Write one trace per request. Off leaves no usage or cost records: only for benchmarks and throwaway setups.")]
    public bool Enabled { get; init; } = true;

    [Description("sqlite:<path> (default; a relative path is relative to gateway.yaml) or postgres://user:password@host:port/database for many replicas. Read at start-up.")]
    [Secret(OnlyUserInfo = true)]
    public string Store { get; init; } = "sqlite:gateway.db";

    [Description("How much of request and response bodies traces keep (after PII masking): none, preview (the first preview_chars characters) or full (up to max_capture); endpoints may override it.")]
    [AllowedValues("none", "preview", "full")]
    public string Capture { get; init; } = "preview";

    [Description("Characters of each body a preview keeps.")]
    public int PreviewChars { get; init; } = 1000;

    [Description("The most of each body 'full' capture keeps; the rest is cut and marked.")]
    public ByteSize MaxCapture { get; init; } = ByteSize.FromMegabytes(1);

    [Description("OTLP/HTTP endpoint (such as http://collector:4318) to export traces to as well, or null. Read at start-up.")]
    public string? Otlp { get; init; }

    [Description("Folder of the local journal that keeps batches the store could not take, replayed in order when it is back; default: next to the SQLite file, or ./tracking-journal beside gateway.yaml. Read at start-up.")]
    public string? Journal { get; init; }

    [Description("Traces per batch: one transaction each.")]
    public int BatchSize { get; init; } = 500;

    [Description("How long the writer lets traces gather after a batch's first one before writing the batch: longer means fewer, larger transactions and a wider crash window (see docs/operations.md).")]
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    [Description("Traces held in memory waiting for the writer. Requests never wait for it: past it, traces are kept without spans or bodies (usage and cost kept) in an overflow of the same size, and dropped past that; both counted.")]
    public int QueueCapacity { get; init; } = 50_000;

    [Description("A batch write slower than this goes to the journal instead.")]
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(5);

    [Description("After the store failed, how long batches go straight to the journal before the store is tried again.")]
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    [Description("How long traces, their captured bodies and the usage rollups are kept.")]
    public RetentionConfig Retention { get; init; } = new();
}

internal sealed record RetentionConfig
{
    [Description("Age after which traces (with their spans and bodies) are deleted; usage rollups stay.")]
    public TimeSpan Traces { get; init; } = TimeSpan.FromDays(30);

    [Description("Age after which captured request and response bodies are cleared from traces.")]
    public TimeSpan Bodies { get; init; } = TimeSpan.FromDays(7);

    [Description("Age after which hourly usage rollups (what usage reports read) are deleted.")]
    public TimeSpan Usage { get; init; } = TimeSpan.FromDays(400);

    [Description("The most traces kept: past it the oldest are deleted at the hourly purge, whatever their age (usage rollups stay). Unset: no limit.")]
    public long? MaxTraces { get; init; }
}
