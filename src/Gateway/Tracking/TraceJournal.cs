using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.Tracking;

/// <summary>
/// The local spill for batches the store could not take: append-only segment files of JSON lines, each batch
/// flushed to disk (fsync) before the writer moves on, replayed oldest first once the store answers again and
/// deleted only after the store has committed them. A crash mid-append leaves at most a torn last line, which
/// replay skips. Replaying twice is harmless: the store ignores traces it already has.
/// </summary>
internal sealed class TraceJournal : IDisposable
{
    private const string Extension = ".jsonl";
    private readonly string _directory;
    private FileStream? _current;
    private long _nextSegment;
    private bool _hasSegments;

    public TraceJournal(string directory)
    {
        // The folder is made by the first spill: a gateway whose store never fails leaves none behind.
        _directory = Path.GetFullPath(directory);
        var existing = Segments();
        _nextSegment = existing.Select(SegmentNumber).DefaultIfEmpty(0).Max() + 1;
        _hasSegments = existing.Length > 0;
    }

    public string DirectoryPath => _directory;

    /// <summary>Whether batches wait in the journal for the store (known without touching the disk: asked per batch).</summary>
    public bool HasPending => _hasSegments;

    /// <summary>Traces waiting in the journal (counted by lines; for metrics and tests).</summary>
    public long PendingTraces() => Segments().Sum(path => File.ReadLines(path).LongCount(line => line.Length > 0));

    public void Append(IReadOnlyList<TraceRecord> batch)
    {
        Directory.CreateDirectory(_directory);
        _current ??= new FileStream(SegmentPath(_nextSegment++), FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
        _hasSegments = true;
        using (var writer = new Utf8JsonWriter(_current, new JsonWriterOptions { SkipValidation = true }))
        {
            foreach (var trace in batch)
            {
                JsonSerializer.Serialize(writer, trace, TrackingJson.Default.TraceRecord);
                writer.Flush();
                writer.Reset();
                _current.WriteByte((byte)'\n');
            }
        }

        _current.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Sends every journaled trace to <paramref name="write"/>, oldest segment first, in batches; a segment is
    /// deleted once all its batches were written. Stops (throwing) at the first failed write: what is left stays.
    /// </summary>
    public async Task ReplayAsync(Func<IReadOnlyList<TraceRecord>, Task> write, int batchSize)
    {
        // New spills go to a new segment from now on; this one is complete.
        if (_current is not null)
        {
            await _current.DisposeAsync();
            _current = null;
        }

        foreach (var segment in Segments())
        {
            var batch = new List<TraceRecord>(batchSize);
            foreach (var line in File.ReadLines(segment, Encoding.UTF8))
            {
                if (Parse(line) is { } trace)
                {
                    batch.Add(trace);
                }

                if (batch.Count == batchSize)
                {
                    await write(batch);
                    batch = new List<TraceRecord>(batchSize);
                }
            }

            if (batch.Count > 0)
            {
                await write(batch);
            }

            File.Delete(segment);
        }

        _hasSegments = false;
    }

    public void Dispose() => _current?.Dispose();

    private static TraceRecord? Parse(string line)
    {
        if (line.Length == 0)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(line, TrackingJson.Default.TraceRecord);
        }
        catch (JsonException)
        {
            return null; // the torn end of a crash mid-append: that batch was never acknowledged
        }
    }

    private string[] Segments() =>
        Directory.Exists(_directory) ? [.. Directory.GetFiles(_directory, "*" + Extension).OrderBy(SegmentNumber)] : [];

    private static long SegmentNumber(string path) =>
        long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private string SegmentPath(long number) => Path.Combine(_directory, number.ToString("D12", CultureInfo.InvariantCulture) + Extension);
}
