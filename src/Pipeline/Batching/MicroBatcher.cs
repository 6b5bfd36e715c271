using System.Collections.Immutable;
using System.Diagnostics;

namespace StreamDiffusion.Pipeline.Batching;

/// <summary>
/// The shared core of the engines: a queue of requests from many callers and
/// <see cref="BatchingOptions.Workers"/> dedicated worker threads, each of which gathers queued
/// requests with equal keys into a batch of at most <see cref="BatchingOptions.MaxBatch"/> items,
/// hands it to its own <see cref="IBatchExecutor{TKey, TRequest}"/> (its own staging buffers) and
/// completes the callers. With one worker there is one model call at a time, which is what a GPU
/// wants; on a CPU several workers overlap calls, and one stream's call with another's CPU work.
/// </summary>
/// <remarks>
/// <para>Grouping: a free worker takes the oldest queued request whose key no other worker is
/// gathering, then later queued requests of that key that fit, up to an even share when other
/// workers are idle (those are woken for the rest). It holds the partial batch for stragglers (at
/// most <see cref="BatchingOptions.MaxDelay"/>) only while no other worker is idle and its batch has
/// fewer requests than the clients that could still send one (the active clients minus the requests
/// other workers hold); while it holds, other workers leave requests of its key to it. With one
/// worker this is exactly the single-loop rule.</para>
/// <para>Cancellation: a queued request is removed and cancelled; a request already in a running call
/// is cancelled at once for its caller and the engine no longer writes to its output memory (the
/// call itself finishes for the others). Disposal: queued requests fail with
/// <see cref="ObjectDisposedException"/>; the calls already running complete normally.</para>
/// </remarks>
internal sealed class MicroBatcher<TKey, TRequest> : IAsyncDisposable
    where TKey : IEquatable<TKey>
    where TRequest : BatchRequest<TKey>
{
    private readonly string name;
    private readonly int maxBatch;
    private readonly int queueCapacity;
    private readonly long maxDelayTicks;
    private readonly long clientWindowTicks;

    // Guards the queue, the worker states, the client estimate and the call statistics; idle and
    // gathering workers wait on it.
    private readonly object gate = new();
    private readonly List<TRequest> queue = [];
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<object?> cancelCallback;
    private readonly long[] callsByBatchSize;

    // Per worker: its executor (staging buffers), the batch it is building or running, its thread,
    // and the key it is holding a partial batch for (other workers leave that key's requests to it).
    private readonly IBatchExecutor<TKey, TRequest>[] executors;
    private readonly List<TRequest>[] batches;
    private readonly Thread[] threads;
    private readonly bool[] gathering;
    private readonly TKey[] gatheringKeys;

    private bool disposed;
    private bool started;
    private int liveWorkers;
    private int idleWorkers;
    private int gatheringWorkers;
    private int takenRequests;
    private int runningCalls;
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
    private int peakConcurrentCalls;
    private long overlappingCalls;

    /// <param name="createExecutor">Called once per worker; each executor is used by its worker's thread only.</param>
    /// <param name="options">Batching settings.</param>
    /// <param name="name">Thread and error-message name.</param>
    public MicroBatcher(Func<IBatchExecutor<TKey, TRequest>> createExecutor, BatchingOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(createExecutor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.name = name;
        maxBatch = options.MaxBatch;
        queueCapacity = options.QueueCapacity;
        maxDelayTicks = (long)(options.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        clientWindowTicks = Math.Max(1, (long)(options.ClientWindow.TotalSeconds * Stopwatch.Frequency));
        callsByBatchSize = new long[maxBatch];
        cancelCallback = state => Cancel((TRequest)state!);
        windowStart = Stopwatch.GetTimestamp();

        var workers = options.Workers;
        executors = new IBatchExecutor<TKey, TRequest>[workers];
        batches = new List<TRequest>[workers];
        threads = new Thread[workers];
        gathering = new bool[workers];
        gatheringKeys = new TKey[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            executors[w] = createExecutor();
            batches[w] = [];
            threads[w] = new Thread(() => Loop(worker)) { IsBackground = true, Name = workers == 1 ? name : $"{name} #{w + 1}" };
        }
    }

    /// <summary>Starts the worker threads; called once the owning engine is fully constructed.</summary>
    public void Start()
    {
        lock (gate)
        {
            if (!started)
            {
                started = true;
                liveWorkers = threads.Length;
                foreach (var thread in threads)
                {
                    thread.Start();
                }
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

        // Register before the request becomes visible to the workers, so no worker races the
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
            WakeOne();
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

                // A worker may be holding a batch for this client; let it re-evaluate.
                Monitor.PulseAll(gate);
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
                Stopwatch.GetElapsedTime(0, runTicks))
            {
                Workers = threads.Length,
                PeakConcurrentCalls = peakConcurrentCalls,
                OverlappingCalls = overlappingCalls,
            };
        }
    }

    /// <summary>Fails queued requests with <see cref="ObjectDisposedException"/>, lets the running calls finish, stops the workers.</summary>
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

    private void Loop(int worker)
    {
        var executor = executors[worker];
        var batch = batches[worker];
        try
        {
            while (true)
            {
                TKey key;
                int items;
                lock (gate)
                {
                    if (!disposed && FirstAvailable() < 0)
                    {
                        idleWorkers++;

                        // A worker holding a partial batch stops holding it once another is idle.
                        if (gatheringWorkers > 0)
                        {
                            Monitor.PulseAll(gate);
                        }

                        do
                        {
                            Monitor.Wait(gate);
                        }
                        while (!disposed && FirstAvailable() < 0);
                        idleWorkers--;
                    }

                    if (disposed)
                    {
                        return;
                    }

                    var now = Stopwatch.GetTimestamp();
                    key = queue[FirstAvailable()].Key;
                    items = 0;
                    Take(batch, key, ref items, ShareOfQueued(key));
                    if (maxDelayTicks > 0)
                    {
                        items = WaitForStragglers(worker, batch, key, items, now);
                    }

                    // What this batch left to the idle workers (its key beyond this worker's share, other
                    // keys, more than fits) goes to them now.
                    if (idleWorkers > 0 && FirstAvailable() >= 0)
                    {
                        WakeIdle();
                    }

                    var start = Stopwatch.GetTimestamp();
                    foreach (var request in batch)
                    {
                        queueWaitTicks += start - request.EnqueuedTimestamp;
                    }
                }

                if (!Execute(executor, batch, key, items))
                {
                    lock (gate)
                    {
                        takenRequests -= batch.Count;
                    }
                }

                batch.Clear();
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref liveWorkers) == 0)
            {
                stopped.TrySetResult();
            }
        }
    }

    // Holds a partial batch while other clients could still send a request of its key and no other
    // worker is idle, until it is full, holds a request from each of those clients, or MaxDelay has
    // passed. Alone, a client's request goes straight through.
    private int WaitForStragglers(int worker, List<TRequest> batch, TKey key, int items, long now)
    {
        var deadline = now + maxDelayTicks;
        var waited = false;
        gathering[worker] = true;
        gatheringKeys[worker] = key;
        gatheringWorkers++;
        try
        {
            while (items < maxBatch && !disposed && idleWorkers == 0 && batch.Count < ClientsThatCouldJoin(batch.Count))
            {
                var remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    break;
                }

                waited = true;
                Monitor.Wait(gate, (int)Math.Clamp(Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency), 1, int.MaxValue));
                Take(batch, key, ref items, int.MaxValue);
            }
        }
        finally
        {
            gathering[worker] = false;
            gatheringKeys[worker] = default!;
            gatheringWorkers--;
        }

        if (waited)
        {
            stragglerWaitTicks += Stopwatch.GetTimestamp() - now;
        }

        return items;
    }

    // Clients whose request is already held by another worker cannot send one for this batch.
    private int ClientsThatCouldJoin(int own) => ExpectedClients(Stopwatch.GetTimestamp()) - (takenRequests - own);

    // Index of the oldest queued request whose key no worker is gathering, or -1.
    private int FirstAvailable()
    {
        if (gatheringWorkers == 0)
        {
            return queue.Count > 0 ? 0 : -1;
        }

        for (var i = 0; i < queue.Count; i++)
        {
            if (!IsGathered(queue[i].Key))
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsGathered(TKey key)
    {
        for (var w = 0; w < gathering.Length; w++)
        {
            if (gathering[w] && gatheringKeys[w].Equals(key))
            {
                return true;
            }
        }

        return false;
    }

    // Wakes a worker for new work. While a worker is gathering, every waiter wakes: a single pulse
    // could reach an idle worker that must leave the request to the gatherer.
    private void WakeOne()
    {
        if (gatheringWorkers > 0)
        {
            Monitor.PulseAll(gate);
        }
        else
        {
            Monitor.Pulse(gate);
        }
    }

    // Wakes the idle workers for work left in the queue; each takes its share or goes back to sleep.
    private void WakeIdle()
    {
        if (gatheringWorkers > 0 || idleWorkers > 1)
        {
            Monitor.PulseAll(gate);
        }
        else
        {
            Monitor.Pulse(gate);
        }
    }

    // Requests of this key a free worker takes now: all of them when no other worker is idle, else
    // an even share, so free workers run the queued requests side by side rather than one batching
    // them while the others idle (on a CPU two calls of n items beat one call of 2n).
    private int ShareOfQueued(TKey key)
    {
        if (idleWorkers == 0)
        {
            return int.MaxValue;
        }

        var queued = 0;
        foreach (var request in queue)
        {
            if (request.Key.Equals(key))
            {
                queued++;
            }
        }

        return (queued + idleWorkers) / (idleWorkers + 1);
    }

    // Moves queued requests with this key into the batch, oldest first, while they fit and the batch
    // holds fewer than maxRequests. The first request of a batch is always taken, even when it alone
    // exceeds MaxBatch (it then runs alone).
    private void Take(List<TRequest> batch, TKey key, ref int items, int maxRequests)
    {
        for (var i = 0; i < queue.Count && items < maxBatch && batch.Count < maxRequests;)
        {
            var request = queue[i];
            if (request.Key.Equals(key) && (batch.Count == 0 || items + request.Items <= maxBatch))
            {
                queue.RemoveAt(i);
                queuedItems -= request.Items;
                takenRequests++;
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

    // Returns whether the batch's requests were already removed from takenRequests (under the
    // statistics lock after the model call); otherwise the caller removes them.
    private bool Execute(IBatchExecutor<TKey, TRequest> executor, List<TRequest> batch, TKey key, int items)
    {
        var released = false;
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
                return false;
            }

            Exception? failure = null;
            var concurrent = Interlocked.Increment(ref runningCalls);
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
            Interlocked.Decrement(ref runningCalls);
            lock (gate)
            {
                calls++;
                totalItems += items;
                totalRequests += batch.Count;
                callsByBatchSize[Math.Min(items, maxBatch) - 1]++;
                runTicks += elapsed;
                peakConcurrentCalls = Math.Max(peakConcurrentCalls, concurrent);
                if (concurrent > 1)
                {
                    overlappingCalls++;
                }

                if (failure is not null)
                {
                    failedCalls++;
                }

                // These clients are about to be released: a gathering worker may count them again.
                takenRequests -= batch.Count;
                released = true;
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

        return released;
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
