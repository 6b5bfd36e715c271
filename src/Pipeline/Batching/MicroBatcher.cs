using System.Collections.Immutable;
using System.Diagnostics;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// The shared core of the engines: a queue of requests from many callers and one dedicated thread
/// that gathers requests with equal keys into batches of at most <see cref="BatchingOptions.MaxBatch"/>
/// items, hands each batch to an <see cref="IBatchExecutor{TKey, TRequest}"/> and completes the
/// callers. One model call at a time is deliberate: a GPU runs one session call best, and on CPU
/// it lets ONNX Runtime spread a single call over all cores.
/// </summary>
/// <remarks>
/// Cancellation: a queued request is removed and cancelled; a request already in a running call
/// is cancelled at once for its caller and the engine no longer writes to its output memory (the
/// call itself finishes for the others). Disposal: queued requests fail with
/// <see cref="ObjectDisposedException"/>; the call already running completes normally.
/// </remarks>
internal sealed class MicroBatcher<TKey, TRequest> : IAsyncDisposable
    where TKey : IEquatable<TKey>
    where TRequest : BatchRequest<TKey>
{
    private readonly IBatchExecutor<TKey, TRequest> executor;
    private readonly string name;
    private readonly int maxBatch;
    private readonly int queueCapacity;
    private readonly long maxDelayTicks;
    private readonly long clientWindowTicks;

    // Guards the queue, the client estimate and the call statistics; the loop waits on it.
    private readonly object gate = new();
    private readonly List<TRequest> queue = [];
    private readonly List<TRequest> batch = [];
    private readonly Thread thread;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<object?> cancelCallback;
    private readonly long[] callsByBatchSize;

    private bool disposed;
    private bool started;
    private int registeredClients;
    private int outstanding;
    private int queuedItems;
    private long windowStart;
    private int windowPeak;
    private int previousWindowPeak;

    private long calls;
    private long totalItems;
    private long totalRequests;
    private long failedCalls;
    private long cancelledRequests;
    private long rejectedRequests;
    private long queueWaitTicks;
    private long stragglerWaitTicks;
    private long runTicks;

    public MicroBatcher(IBatchExecutor<TKey, TRequest> executor, BatchingOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.executor = executor;
        this.name = name;
        maxBatch = options.MaxBatch;
        queueCapacity = options.QueueCapacity;
        maxDelayTicks = (long)(options.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        clientWindowTicks = Math.Max(1, (long)(options.ClientWindow.TotalSeconds * Stopwatch.Frequency));
        callsByBatchSize = new long[maxBatch];
        cancelCallback = state => Cancel((TRequest)state!);
        windowStart = Stopwatch.GetTimestamp();
        thread = new Thread(Loop) { IsBackground = true, Name = name };
    }

    /// <summary>Starts the loop thread; called once the owning engine is fully constructed.</summary>
    public void Start()
    {
        lock (gate)
        {
            if (!started)
            {
                started = true;
                thread.Start();
            }
        }
    }

    /// <summary>Queues a request; the returned task completes when its outputs have been written.</summary>
    public ValueTask SubmitAsync(TRequest request, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        // Register before the request becomes visible to the loop, so the loop never races the
        // assignment of the registration; a cancellation that fires before enqueueing is handled
        // by the state check below.
        request.CancellationToken = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            request.Registration = cancellationToken.UnsafeRegister(cancelCallback, request);
        }

        lock (gate)
        {
            if (request.State != BatchRequest<TKey>.Queued)
            {
                return new ValueTask(request.Completion.Task);
            }

            if (disposed || queue.Count >= queueCapacity)
            {
                request.State = BatchRequest<TKey>.Finished;
                request.Registration.Unregister();
                if (disposed)
                {
                    return ValueTask.FromException(new ObjectDisposedException(name));
                }

                rejectedRequests++;
                return ValueTask.FromException(new BatchQueueFullException($"{name}: {queue.Count} requests already queued (capacity {queueCapacity})"));
            }

            var now = Stopwatch.GetTimestamp();
            request.EnqueuedTimestamp = now;
            queue.Add(request);
            queuedItems += request.Items;
            ObserveConcurrency(now, Interlocked.Increment(ref outstanding));
            Monitor.Pulse(gate);
        }

        return new ValueTask(request.Completion.Task);
    }

    /// <summary>Counts a client as active until the returned handle is disposed.</summary>
    public ClientRegistration RegisterClient()
    {
        lock (gate)
        {
            registeredClients++;
        }

        return new ClientRegistration(() =>
        {
            lock (gate)
            {
                registeredClients--;

                // The loop may be holding a batch for this client; let it re-evaluate.
                Monitor.Pulse(gate);
            }
        });
    }

    /// <summary>Takes a snapshot of the counters.</summary>
    public BatchingStats GetStats()
    {
        lock (gate)
        {
            return new BatchingStats(
                calls,
                totalItems,
                totalRequests,
                failedCalls,
                Interlocked.Read(ref cancelledRequests),
                rejectedRequests,
                queue.Count,
                queuedItems,
                ExpectedClients(Stopwatch.GetTimestamp()),
                ImmutableArray.Create(callsByBatchSize),
                Stopwatch.GetElapsedTime(0, queueWaitTicks),
                Stopwatch.GetElapsedTime(0, stragglerWaitTicks),
                Stopwatch.GetElapsedTime(0, runTicks));
        }
    }

    /// <summary>Fails queued requests with <see cref="ObjectDisposedException"/>, lets the running call finish, stops the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        TRequest[] pending;
        bool wasStarted;
        lock (gate)
        {
            wasStarted = started;
            if (disposed)
            {
                pending = [];
            }
            else
            {
                disposed = true;
                pending = [.. queue];
                foreach (var request in pending)
                {
                    request.State = BatchRequest<TKey>.Finished;
                }

                queue.Clear();
                queuedItems = 0;
                Monitor.PulseAll(gate);
            }
        }

        foreach (var request in pending)
        {
            Release(request);
            request.Completion.TrySetException(new ObjectDisposedException(name, "The engine was disposed before this request ran."));
        }

        if (wasStarted)
        {
            await stopped.Task.ConfigureAwait(false);
        }
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                TKey key;
                int items;
                lock (gate)
                {
                    while (queue.Count == 0 && !disposed)
                    {
                        Monitor.Wait(gate);
                    }

                    if (disposed)
                    {
                        return;
                    }

                    var now = Stopwatch.GetTimestamp();
                    key = queue[0].Key;
                    items = 0;
                    Take(key, ref items);
                    if (maxDelayTicks > 0)
                    {
                        items = WaitForStragglers(key, items, now);
                    }

                    var start = Stopwatch.GetTimestamp();
                    foreach (var request in batch)
                    {
                        queueWaitTicks += start - request.EnqueuedTimestamp;
                    }
                }

                Execute(key, items);
                batch.Clear();
            }
        }
        finally
        {
            stopped.TrySetResult();
        }
    }

    // Holds a partial batch while other clients are active, until it is full, holds one request
    // per active client, or MaxDelay has passed. Alone, a client's request goes straight through.
    private int WaitForStragglers(TKey key, int items, long now)
    {
        var deadline = now + maxDelayTicks;
        var waited = false;
        while (items < maxBatch && !disposed && batch.Count < ExpectedClients(Stopwatch.GetTimestamp()))
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
            {
                break;
            }

            waited = true;
            Monitor.Wait(gate, (int)Math.Clamp(Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency), 1, int.MaxValue));
            Take(key, ref items);
        }

        if (waited)
        {
            stragglerWaitTicks += Stopwatch.GetTimestamp() - now;
        }

        return items;
    }

    // Moves queued requests with this key into the batch, oldest first, while they fit. The first
    // request of a batch is always taken, even when it alone exceeds MaxBatch (it then runs alone).
    private void Take(TKey key, ref int items)
    {
        for (var i = 0; i < queue.Count && items < maxBatch;)
        {
            var request = queue[i];
            if (request.Key.Equals(key) && (batch.Count == 0 || items + request.Items <= maxBatch))
            {
                queue.RemoveAt(i);
                queuedItems -= request.Items;
                Volatile.Write(ref request.State, BatchRequest<TKey>.Staging);
                batch.Add(request);
                items += request.Items;
            }
            else
            {
                i++;
            }
        }
    }

    private void Execute(TKey key, int items)
    {
        try
        {
            executor.Prepare(key, items);
            var offset = 0;
            var running = 0;
            foreach (var request in batch)
            {
                executor.Stage(request, offset);
                offset += request.Items;
                if (Interlocked.CompareExchange(ref request.State, BatchRequest<TKey>.Running, BatchRequest<TKey>.Staging) == BatchRequest<TKey>.Staging)
                {
                    running++;
                }
                else
                {
                    // The caller cancelled while we were gathering or staging: its slot still
                    // runs (harmless) but it completes now, as cancelled.
                    Volatile.Write(ref request.State, BatchRequest<TKey>.Finished);
                    FinishCancelled(request);
                }
            }

            if (running == 0)
            {
                return;
            }

            Exception? failure = null;
            var start = Stopwatch.GetTimestamp();
            try
            {
                executor.Run(key, items);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            var elapsed = Stopwatch.GetTimestamp() - start;
            lock (gate)
            {
                calls++;
                totalItems += items;
                totalRequests += batch.Count;
                callsByBatchSize[Math.Min(items, maxBatch) - 1]++;
                runTicks += elapsed;
                if (failure is not null)
                {
                    failedCalls++;
                }
            }

            offset = 0;
            foreach (var request in batch)
            {
                if (Interlocked.CompareExchange(ref request.State, BatchRequest<TKey>.Completing, BatchRequest<TKey>.Running) == BatchRequest<TKey>.Running)
                {
                    if (failure is null)
                    {
                        executor.Unstage(request, offset);
                    }

                    Volatile.Write(ref request.State, BatchRequest<TKey>.Finished);
                    Release(request);
                    if (failure is null)
                    {
                        request.Completion.TrySetResult();
                    }
                    else
                    {
                        request.Completion.TrySetException(failure);
                    }
                }

                offset += request.Items;
            }
        }
        catch (Exception ex)
        {
            // Staging or copying back failed (the model call itself is handled above): fail every
            // request of this batch that has not completed yet, and keep serving.
            foreach (var request in batch)
            {
                FailUnfinished(request, ex);
            }
        }
    }

    private void FailUnfinished(TRequest request, Exception error)
    {
        while (true)
        {
            var state = Volatile.Read(ref request.State);
            if (state == BatchRequest<TKey>.Finished)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref request.State, BatchRequest<TKey>.Finished, state) != state)
            {
                continue;
            }

            if (state == BatchRequest<TKey>.CancelRequested)
            {
                FinishCancelled(request);
            }
            else
            {
                Release(request);
                request.Completion.TrySetException(error);
            }

            return;
        }
    }

    private void Cancel(TRequest request)
    {
        lock (gate)
        {
            if (request.State == BatchRequest<TKey>.Queued)
            {
                request.State = BatchRequest<TKey>.Finished;
                if (queue.Remove(request))
                {
                    queuedItems -= request.Items;
                    Interlocked.Decrement(ref outstanding);
                }

                request.Registration.Unregister();
                Interlocked.Increment(ref cancelledRequests);
                request.Completion.TrySetCanceled(request.CancellationToken);
                return;
            }
        }

        while (true)
        {
            var state = Volatile.Read(ref request.State);
            if (state == BatchRequest<TKey>.Staging)
            {
                // The loop completes it once staging is done.
                if (Interlocked.CompareExchange(ref request.State, BatchRequest<TKey>.CancelRequested, state) == state)
                {
                    return;
                }
            }
            else if (state == BatchRequest<TKey>.Running)
            {
                if (Interlocked.CompareExchange(ref request.State, BatchRequest<TKey>.Finished, state) == state)
                {
                    FinishCancelled(request);
                    return;
                }
            }
            else
            {
                return;
            }
        }
    }

    private void FinishCancelled(TRequest request)
    {
        Release(request);
        Interlocked.Increment(ref cancelledRequests);
        request.Completion.TrySetCanceled(request.CancellationToken);
    }

    // Called exactly once per enqueued request, before its completion is set, so a caller that
    // submits again right after completing is never counted as concurrent with itself.
    private void Release(TRequest request)
    {
        request.Registration.Unregister();
        Interlocked.Decrement(ref outstanding);
    }

    // Unregistered callers are counted by how many requests were outstanding together recently.
    private void ObserveConcurrency(long now, int concurrent)
    {
        RollWindow(now);
        windowPeak = Math.Max(windowPeak, concurrent);
    }

    private int ExpectedClients(long now)
    {
        RollWindow(now);
        return Math.Max(registeredClients, Math.Max(windowPeak, previousWindowPeak));
    }

    private void RollWindow(long now)
    {
        var age = now - windowStart;
        if (age >= clientWindowTicks)
        {
            previousWindowPeak = age >= 2 * clientWindowTicks ? 0 : windowPeak;
            windowPeak = 0;
            windowStart = now;
        }
    }
}
