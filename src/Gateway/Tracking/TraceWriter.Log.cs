using Microsoft.Extensions.Logging;

namespace Gateway.Tracking;

internal sealed partial class TraceWriter
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, EventName = "TrackingStoreFailed", Level = LogLevel.Warning,
            Message = "The {Store} tracking store failed ({Error}: {Message}); traces go to the journal in {Journal} until it is back")]
        public static partial void StoreFailed(ILogger logger, string store, string error, string message, string journal);

        [LoggerMessage(EventId = 6002, EventName = "TrackingStoreBack", Level = LogLevel.Information,
            Message = "The {Store} tracking store is back; journaled traces were replayed")]
        public static partial void StoreBack(ILogger logger, string store);

        [LoggerMessage(EventId = 6003, EventName = "TrackingJournalReplayed", Level = LogLevel.Information,
            Message = "Replayed the tracking journal into the {Store} store")]
        public static partial void JournalReplayed(ILogger logger, string store);

        [LoggerMessage(EventId = 6004, EventName = "TrackingJournalFailed", Level = LogLevel.Critical,
            Message = "{Count} traces could not be written to the store or to the journal in {Journal}: {Message}")]
        public static partial void JournalFailed(ILogger logger, int count, string journal, string message);

        [LoggerMessage(EventId = 6005, EventName = "TrackingQueueFull", Level = LogLevel.Warning,
            Message = "The trace writer's queue is full ({Capacity} traces): new traces are kept without spans or bodies (usage and cost kept) until it drains, and dropped past as many again")]
        public static partial void QueueFull(ILogger logger, int capacity);

        [LoggerMessage(EventId = 6006, EventName = "TrackingQueueRecovered", Level = LogLevel.Information,
            Message = "The trace writer's queue has room again: traces are kept whole")]
        public static partial void QueueRecovered(ILogger logger);
    }
}
