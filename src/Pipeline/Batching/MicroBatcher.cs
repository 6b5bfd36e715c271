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
/// <para>Faults: a failed model call fails the requests of that call; a request whose outputs hold NaN or
/// infinities fails alone (<see cref="NonFiniteOutputException"/>). A worker that dies (an exception escaping its
/// loop, or a call that throws <see cref="OutOfMemoryException"/>, after which its staging buffers cannot be
/// trusted) fails its unfinished requests and is replaced by a fresh worker with a fresh executor; after
/// <see cref="BatchingOptions.MaxWorkerRestarts"/> deaths with no successful call between them the engine stops
/// (<see cref="FaultReason"/>) and fails queued and later requests with <see cref="EngineFaultedException"/>.</para>
/// <para>A lone client (<see cref="BatchingOptions.RunAloneInline"/>): when a request finds nothing queued or
/// running, no other active client and a call that can be stopped from outside, the submitting thread runs it
/// itself on an executor kept for that, so the request costs no thread hand-off either way; cancelling it stops
/// the model call. Anything else, including every request while the inline call runs, goes to the workers.</para>
/// <para>Cancellation: a queued request is removed and cancelled; a request already in a running call
/// is cancelled at once for its caller and the engine no longer writes to its output memory (the
/// call itself finishes for the others). Disposal: queued requests fail with
/// <see cref="ObjectDisposedException"/>; the calls already running complete normally.</para>
/// </remarks>
internal sealed class MicroBatcher<TKey, TRequest> : IAsyncDisposable
    where TKey : IEquatable<TKey>
    where TRequest : BatchRequest<TKey>
{
    private readonly string _name;
    private readonly Func<IBatchExecutor<TKey, TRequest>> _createExecutor;
    private readonly int _maxWorkerRestarts;
    private readonly int _maxBatch;
    private readonly int _queueCapacity;
    private readonly long _maxDelayTicks;
    private readonly long _clientWindowTicks;
    private readonly bool _runAloneInline;

    // Guards the queue, the worker states, the client estimate and the call statistics; idle and
    // gathering workers wait on it.
    private readonly object _gate = new();
    private readonly List<TRequest> _queue = [];
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<object?> _cancelCallback;
    private readonly long[] _callsByBatchSize;

    // Per worker: its executor (staging buffers), the batch it is building or running, its thread,
    // and the key it is holding a partial batch for (other workers leave that key's requests to it).
    private readonly IBatchExecutor<TKey, TRequest>[] _executors;
    private readonly List<TRequest>[] _batches;
    private readonly Thread[] _threads;
    private readonly bool[] _gathering;
    private readonly TKey[] _gatheringKeys;

    // The caller-runs path: one executor of its own, used by one caller at a time (_inlineBusy, under the gate);
    // _inlineRefused once a call could not be stopped from outside (then requests always go to the workers).
    private readonly List<TRequest> _inlineBatch = [];
    private IBatchExecutor<TKey, TRequest>? _inlineExecutor;
    private bool _inlineBusy;
    private bool _inlineRefused;
    private TaskCompletionSource? _inlineDone;
    private long _inlineCalls;

    private bool _disposed;
    private string? _faultReason;
    private int _deathsInARow;
    private long _workerRestarts;
    private bool _started;
    private int _liveWorkers;
    private int _idleWorkers;
    private int _gatheringWorkers;
    private int _takenRequests;
    private int _runningCalls;
    private int _registeredClients;
    private int _outstanding;
    private int _queuedItems;
    private long _windowStart;
    private int _windowPeak;
    private int _previousWindowPeak;

    private long _calls;
    private long _totalItems;
    private long _totalRequests;
    private long _failedCalls;
    private long _cancelledRequests;
    private long _rejectedRequests;
    private long _queueWaitTicks;
    private long _stragglerWaitTicks;
    private long _runTicks;
    private int _peakConcurrentCalls;
    private long _overlappingCalls;

    /// <param name="createExecutor">Called once per worker; each executor is used by its worker's thread only.</param>
    /// <param name="options">Batching settings.</param>
    /// <param name="name">Thread and error-message name.</param>
    public MicroBatcher(Func<IBatchExecutor<TKey, TRequest>> createExecutor, BatchingOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(createExecutor);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _name = name;
        _createExecutor = createExecutor;
        _maxWorkerRestarts = options.MaxWorkerRestarts;
        _maxBatch = options.MaxBatch;
        _queueCapacity = options.QueueCapacity;
        _maxDelayTicks = (long)(options.MaxDelay.TotalSeconds * Stopwatch.Frequency);
        _clientWindowTicks = Math.Max(1, (long)(options.ClientWindow.TotalSeconds * Stopwatch.Frequency));
        _runAloneInline = options.RunAloneInline;
        _callsByBatchSize = new long[_maxBatch];
        _cancelCallback = state => Cancel((TRequest)state!);
        _windowStart = Stopwatch.GetTimestamp();

        var workers = options.Workers;
        _executors = new IBatchExecutor<TKey, TRequest>[workers];
        _batches = new List<TRequest>[workers];
        _threads = new Thread[workers];
        _gathering = new bool[workers];
        _gatheringKeys = new TKey[workers];
        for (var w = 0; w < workers; w++)
        {
            _executors[w] = createExecutor();
            _batches[w] = [];
            _threads[w] = NewThread(w);
        }
    }

    /// <summary>Why the engine stopped serving (worker failures in a row); null while it serves.</summary>
    public string? FaultReason
    {
        get
        {
            lock (_gate)
            {
                return _faultReason;
            }
        }
    }

    /// <summary>Starts the worker threads; called once the owning engine is fully constructed.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (!_started)
            {
                _started = true;
                _liveWorkers = _threads.Length;
                foreach (var thread in _threads)
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
            request.Registration = cancellationToken.UnsafeRegister(_cancelCallback, request);
        }

        lock (_gate)
        {
            if (request._state != BatchRequest<TKey>.Queued)
            {
                return new ValueTask(request.Completion.Task);
            }

            if (_disposed || _faultReason is not null || _queue.Count >= _queueCapacity)
            {
                request._state = BatchRequest<TKey>.Finished;
                request.Registration.Unregister();
                if (_disposed)
                {
                    return ValueTask.FromException(new ObjectDisposedException(_name));
                }

                if (_faultReason is not null)
                {
                    return ValueTask.FromException(new EngineFaultedException(_faultReason));
                }

                _rejectedRequests++;
                return ValueTask.FromException(new BatchQueueFullException($"{_name}: {_queue.Count} requests already queued (capacity {_queueCapacity})"));
            }

            var now = Stopwatch.GetTimestamp();
            request.EnqueuedTimestamp = now;
            ObserveConcurrency(now, Interlocked.Increment(ref _outstanding));
            if (CanRunInline(now))
            {
                _inlineBusy = true;
                _inlineExecutor ??= _createExecutor();
                _takenRequests++;
                request._state = BatchRequest<TKey>.Staging;
            }
            else
            {
                _queue.Add(request);
                _queuedItems += request.Items;
                WakeOne();
                return new ValueTask(request.Completion.Task);
            }
        }

        return RunInline(request);
    }

    // Nothing to batch the request with and nothing ahead of it: no queued request, none held or running on a
    // worker, no other client that could send one.
    private bool CanRunInline(long now) =>
        _runAloneInline && !_inlineRefused && !_inlineBusy && _queue.Count == 0 && _takenRequests == 0 && ExpectedClients(now) <= 1;

    // Runs a request taken for the inline path on the calling thread; it has completed when this returns, unless
    // its call cannot be stopped from outside, in which case it goes to the workers after all.
    private ValueTask RunInline(TRequest request)
    {
        var executor = _inlineExecutor!;
        bool abortable;
        try
        {
            executor.Prepare(request.Key, request.Items, request);
            abortable = executor.CanAbort;
        }
        catch (Exception)
        {
            // A worker prepares it again and reports the failure through the usual path.
            abortable = false;
        }

        if (!abortable)
        {
            return QueueFromInline(request);
        }

        _inlineBatch.Add(request);
        var released = Execute(executor, _inlineBatch, request.Key, request.Items, request, out var fatal);
        _inlineBatch.Clear();
        lock (_gate)
        {
            if (released)
            {
                _inlineCalls++;
            }
            else
            {
                // Cancelled before its call ran: nothing released it.
                _takenRequests--;
            }

            _inlineBusy = false;
            if (fatal is not null || _disposed)
            {
                // Its staging cannot be trusted after a fatal error; a later inline call creates a fresh one.
                executor.Dispose();
                _inlineExecutor = null;
                _inlineDone?.TrySetResult();
            }
        }

        return new ValueTask(request.Completion.Task);
    }

    // The inline path cannot take this request after all: queue it first (it arrived before anything queued
    // since) and never try the inline path again on this engine.
    private ValueTask QueueFromInline(TRequest request)
    {
        lock (_gate)
        {
            _inlineRefused = true;
            _inlineBusy = false;
            _takenRequests--;
            if (_disposed)
            {
                _inlineExecutor?.Dispose();
                _inlineExecutor = null;
                _inlineDone?.TrySetResult();
            }

            if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.Queued, BatchRequest<TKey>.Staging) != BatchRequest<TKey>.Staging)
            {
                // Cancelled meanwhile.
                Volatile.Write(ref request._state, BatchRequest<TKey>.Finished);
                FinishCancelled(request);
            }
            else if (_disposed || _faultReason is not null)
            {
                request._state = BatchRequest<TKey>.Finished;
                Release(request);
                request.Completion.TrySetException(_disposed ? new ObjectDisposedException(_name) : new EngineFaultedException(_faultReason!));
            }
            else
            {
                _queue.Insert(0, request);
                _queuedItems += request.Items;
                WakeOne();
            }
        }

        return new ValueTask(request.Completion.Task);
    }

    /// <summary>Counts a client as active until the returned handle is disposed.</summary>
    public ClientRegistration RegisterClient()
    {
        lock (_gate)
        {
            _registeredClients++;
        }

        return new ClientRegistration(() =>
        {
            lock (_gate)
            {
                _registeredClients--;

                // A worker may be holding a batch for this client; let it re-evaluate.
                Monitor.PulseAll(_gate);
            }
        });
    }

    /// <summary>Takes a snapshot of the counters.</summary>
    public BatchingStats GetStats()
    {
        lock (_gate)
        {
            return new BatchingStats(
                _calls,
                _totalItems,
                _totalRequests,
                _failedCalls,
                Interlocked.Read(ref _cancelledRequests),
                _rejectedRequests,
                _queue.Count,
                _queuedItems,
                ExpectedClients(Stopwatch.GetTimestamp()),
                ImmutableArray.Create(_callsByBatchSize),
                Stopwatch.GetElapsedTime(0, _queueWaitTicks),
                Stopwatch.GetElapsedTime(0, _stragglerWaitTicks),
                Stopwatch.GetElapsedTime(0, _runTicks))
            {
                Workers = _threads.Length,
                PeakConcurrentCalls = _peakConcurrentCalls,
                OverlappingCalls = _overlappingCalls,
                WorkerRestarts = _workerRestarts,
                RegisteredClients = _registeredClients,
                FaultReason = _faultReason,
                InlineCalls = _inlineCalls,
            };
        }
    }

    /// <summary>Fails queued requests with <see cref="ObjectDisposedException"/>, lets the running calls finish, stops the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        TRequest[] pending;
        bool wasStarted;
        Task? inlineDone = null;
        lock (_gate)
        {
            wasStarted = _started;
            if (!_disposed && _inlineBusy)
            {
                // The caller running an inline call disposes its executor when the call ends.
                _inlineDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                inlineDone = _inlineDone.Task;
            }
            else if (!_disposed)
            {
                _inlineExecutor?.Dispose();
                _inlineExecutor = null;
            }

            if (_disposed)
            {
                pending = [];
            }
            else
            {
                _disposed = true;
                pending = [.. _queue];
                foreach (var request in pending)
                {
                    request._state = BatchRequest<TKey>.Finished;
                }

                _queue.Clear();
                _queuedItems = 0;
                Monitor.PulseAll(_gate);
            }
        }

        foreach (var request in pending)
        {
            Release(request);
            request.Completion.TrySetException(new ObjectDisposedException(_name, "The engine was disposed before this request ran."));
        }

        if (wasStarted)
        {
            await _stopped.Task.ConfigureAwait(false);
        }

        // The model may be disposed once this returns: the inline call must have ended too.
        if (inlineDone is not null)
        {
            await inlineDone.ConfigureAwait(false);
        }
    }

    private Thread NewThread(int worker) =>
        new(() => Loop(worker)) { IsBackground = true, Name = _threads.Length == 1 ? _name : $"{_name} #{worker + 1}" };

    private void Loop(int worker)
    {
        var executor = _executors[worker];
        var batch = _batches[worker];
        var replaced = false;
        try
        {
            while (true)
            {
                TKey key;
                int items;
                lock (_gate)
                {
                    if (!Stopping && FirstAvailable() < 0)
                    {
                        _idleWorkers++;

                        // A worker holding a partial batch stops holding it once another is idle.
                        if (_gatheringWorkers > 0)
                        {
                            Monitor.PulseAll(_gate);
                        }

                        do
                        {
                            Monitor.Wait(_gate);
                        }
                        while (!Stopping && FirstAvailable() < 0);
                        _idleWorkers--;
                    }

                    if (Stopping)
                    {
                        return;
                    }

                    var now = Stopwatch.GetTimestamp();
                    key = _queue[FirstAvailable()].Key;
                    items = 0;
                    Take(batch, key, ref items, ShareOfQueued(key));
                    if (_maxDelayTicks > 0)
                    {
                        items = WaitForStragglers(worker, batch, key, items, now);
                    }

                    // What this batch left to the idle workers (its key beyond this worker's share, other
                    // keys, more than fits) goes to them now.
                    if (_idleWorkers > 0 && FirstAvailable() >= 0)
                    {
                        WakeIdle();
                    }

                    var start = Stopwatch.GetTimestamp();
                    foreach (var request in batch)
                    {
                        _queueWaitTicks += start - request.EnqueuedTimestamp;
                    }
                }

                if (!Execute(executor, batch, key, items, null, out var fatal))
                {
                    lock (_gate)
                    {
                        _takenRequests -= batch.Count;
                    }
                }

                batch.Clear();
                if (fatal is not null)
                {
                    replaced = Replace(worker, fatal);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // Escaped the loop's own code: nothing ran for the requests this worker held, and Execute (which
            // catches everything) cannot have released them.
            var error = new EngineFaultedException($"{_name}: an engine worker stopped ({ex.GetType().Name}); the request did not run", ex);
            lock (_gate)
            {
                _takenRequests -= batch.Count;
            }

            foreach (var request in batch)
            {
                FailUnfinished(request, error);
            }

            batch.Clear();
            replaced = Replace(worker, ex);
        }
        finally
        {
            // The dead worker's bindings go with it (a successor binds its own); the successor counts as the same
            // live worker.
            executor.Dispose();
            if (!replaced && Interlocked.Decrement(ref _liveWorkers) == 0)
            {
                _stopped.TrySetResult();
            }
        }
    }

    private bool Stopping => _disposed || _faultReason is not null;

    // Exceptions after which a worker's own state (its staging buffers, half grown) cannot be trusted.
    private static bool KillsWorker(Exception exception) => exception is OutOfMemoryException or InsufficientExecutionStackException;

    // Starts a fresh worker (new executor, new thread) in place of a dead one, unless the engine is stopping or the
    // workers died MaxWorkerRestarts times with no successful call between: then the engine stops serving, since
    // restarting again would only spin. Returns whether a successor took the worker's place.
    private bool Replace(int worker, Exception cause)
    {
        TRequest[] abandoned;
        lock (_gate)
        {
            if (_disposed || _faultReason is not null)
            {
                return false;
            }

            if (_deathsInARow < _maxWorkerRestarts)
            {
                try
                {
                    _executors[worker] = _createExecutor();
                    var successor = NewThread(worker);
                    _threads[worker] = successor;
                    successor.Start();
                    _deathsInARow++;
                    _workerRestarts++;
                    return true;
                }
                catch (Exception ex)
                {
                    cause = ex;
                }
            }

            _faultReason = $"{_name} stopped after {_deathsInARow + 1} engine worker failure(s) in a row; last: {cause.GetType().Name}: {cause.Message}";
            abandoned = [.. _queue];
            foreach (var request in abandoned)
            {
                request._state = BatchRequest<TKey>.Finished;
            }

            _queue.Clear();
            _queuedItems = 0;
            Monitor.PulseAll(_gate);
        }

        var error = new EngineFaultedException(_faultReason);
        foreach (var request in abandoned)
        {
            Release(request);
            request.Completion.TrySetException(error);
        }

        return false;
    }

    // Holds a partial batch while other clients could still send a request of its key and no other
    // worker is idle, until it is full, holds a request from each of those clients, or MaxDelay has
    // passed. Alone, a client's request goes straight through.
    private int WaitForStragglers(int worker, List<TRequest> batch, TKey key, int items, long now)
    {
        var deadline = now + _maxDelayTicks;
        var waited = false;
        _gathering[worker] = true;
        _gatheringKeys[worker] = key;
        _gatheringWorkers++;
        try
        {
            while (items < _maxBatch && !Stopping && _idleWorkers == 0 && batch.Count < ClientsThatCouldJoin(batch.Count))
            {
                var remaining = deadline - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    break;
                }

                waited = true;
                Monitor.Wait(_gate, (int)Math.Clamp(Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency), 1, int.MaxValue));
                Take(batch, key, ref items, int.MaxValue);
            }
        }
        finally
        {
            _gathering[worker] = false;
            _gatheringKeys[worker] = default!;
            _gatheringWorkers--;
        }

        if (waited)
        {
            _stragglerWaitTicks += Stopwatch.GetTimestamp() - now;
        }

        return items;
    }

    // Clients whose request is already held by another worker cannot send one for this batch.
    private int ClientsThatCouldJoin(int own) => ExpectedClients(Stopwatch.GetTimestamp()) - (_takenRequests - own);

    // Index of the oldest queued request whose key no worker is gathering, or -1.
    private int FirstAvailable()
    {
        if (_gatheringWorkers == 0)
        {
            return _queue.Count > 0 ? 0 : -1;
        }

        for (var i = 0; i < _queue.Count; i++)
        {
            if (!IsGathered(_queue[i].Key))
            {
                return i;
            }
        }

        return -1;
    }

    private bool IsGathered(TKey key)
    {
        for (var w = 0; w < _gathering.Length; w++)
        {
            if (_gathering[w] && _gatheringKeys[w].Equals(key))
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
        if (_gatheringWorkers > 0)
        {
            Monitor.PulseAll(_gate);
        }
        else
        {
            Monitor.Pulse(_gate);
        }
    }

    // Wakes the idle workers for work left in the queue; each takes its share or goes back to sleep.
    private void WakeIdle()
    {
        if (_gatheringWorkers > 0 || _idleWorkers > 1)
        {
            Monitor.PulseAll(_gate);
        }
        else
        {
            Monitor.Pulse(_gate);
        }
    }

    // Requests of this key a free worker takes now: all of them when no other worker is idle, else
    // an even share, so free workers run the queued requests side by side rather than one batching
    // them while the others idle (on a CPU two calls of n items beat one call of 2n).
    private int ShareOfQueued(TKey key)
    {
        if (_idleWorkers == 0)
        {
            return int.MaxValue;
        }

        var queued = 0;
        foreach (var request in _queue)
        {
            if (request.Key.Equals(key))
            {
                queued++;
            }
        }

        return (queued + _idleWorkers) / (_idleWorkers + 1);
    }

    // Moves queued requests with this key into the batch, oldest first, while they fit and the batch
    // holds fewer than maxRequests. The first request of a batch is always taken, even when it alone
    // exceeds MaxBatch (it then runs alone).
    private void Take(List<TRequest> batch, TKey key, ref int items, int maxRequests)
    {
        for (var i = 0; i < _queue.Count && items < _maxBatch && batch.Count < maxRequests;)
        {
            var request = _queue[i];
            if (request.Key.Equals(key) && (batch.Count == 0 || items + request.Items <= _maxBatch))
            {
                _queue.RemoveAt(i);
                _queuedItems -= request.Items;
                _takenRequests++;
                Volatile.Write(ref request._state, BatchRequest<TKey>.Staging);
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
    // statistics lock after the model call); otherwise the caller removes them. fatal: an exception after which
    // this worker must be replaced (the batch's requests have been failed with it).
    // inlineRequest: the batch's only request, run on its caller's thread; its token stops the model call early.
    // Workers pass null and no token, since their batch may hold other callers' requests.
    private bool Execute(IBatchExecutor<TKey, TRequest> executor, List<TRequest> batch, TKey key, int items, TRequest? inlineRequest, out Exception? fatal)
    {
        fatal = null;
        var released = false;
        var abort = inlineRequest?.CancellationToken ?? CancellationToken.None;
        try
        {
            executor.Prepare(key, items, inlineRequest);
            var offset = 0;
            var running = 0;
            foreach (var request in batch)
            {
                executor.Stage(request, offset);
                offset += request.Items;
                if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.Running, BatchRequest<TKey>.Staging) == BatchRequest<TKey>.Staging)
                {
                    running++;
                }
                else
                {
                    // The caller cancelled while we were gathering or staging: its slot still
                    // runs (harmless) but it completes now, as cancelled.
                    Volatile.Write(ref request._state, BatchRequest<TKey>.Finished);
                    FinishCancelled(request);
                }
            }

            if (running == 0)
            {
                return false;
            }

            Exception? failure = null;
            var concurrent = Interlocked.Increment(ref _runningCalls);
            var start = Stopwatch.GetTimestamp();
            try
            {
                executor.Run(key, items, abort);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            var elapsed = Stopwatch.GetTimestamp() - start;
            Interlocked.Decrement(ref _runningCalls);
            lock (_gate)
            {
                _calls++;
                _totalItems += items;
                _totalRequests += batch.Count;
                _callsByBatchSize[Math.Min(items, _maxBatch) - 1]++;
                _runTicks += elapsed;
                _peakConcurrentCalls = Math.Max(_peakConcurrentCalls, concurrent);
                if (concurrent > 1)
                {
                    _overlappingCalls++;
                }

                if (failure is not null && !(failure is OperationCanceledException && abort.IsCancellationRequested))
                {
                    _failedCalls++;
                }
                else
                {
                    _deathsInARow = 0;
                }

                // These clients are about to be released: a gathering worker may count them again.
                _takenRequests -= batch.Count;
                released = true;
            }

            offset = 0;
            foreach (var request in batch)
            {
                if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.Completing, BatchRequest<TKey>.Running) == BatchRequest<TKey>.Running)
                {
                    // A request whose outputs cannot be copied back (NaN or infinities) fails alone.
                    var error = failure;
                    if (error is null)
                    {
                        try
                        {
                            executor.Unstage(request, offset);
                        }
                        catch (Exception ex)
                        {
                            error = ex;
                        }
                    }

                    Volatile.Write(ref request._state, BatchRequest<TKey>.Finished);
                    Release(request);
                    if (error is null)
                    {
                        request.Completion.TrySetResult();
                    }
                    else
                    {
                        request.Completion.TrySetException(error);
                    }
                }

                offset += request.Items;
            }

            if (failure is not null && KillsWorker(failure))
            {
                fatal = failure;
            }
        }
        catch (Exception ex)
        {
            if (KillsWorker(ex))
            {
                fatal = ex;
            }

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
            var state = Volatile.Read(ref request._state);
            if (state == BatchRequest<TKey>.Finished)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.Finished, state) != state)
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
        lock (_gate)
        {
            if (request._state == BatchRequest<TKey>.Queued)
            {
                request._state = BatchRequest<TKey>.Finished;
                if (_queue.Remove(request))
                {
                    _queuedItems -= request.Items;
                    Interlocked.Decrement(ref _outstanding);
                }

                request.Registration.Unregister();
                Interlocked.Increment(ref _cancelledRequests);
                request.Completion.TrySetCanceled(request.CancellationToken);
                return;
            }
        }

        while (true)
        {
            var state = Volatile.Read(ref request._state);
            if (state == BatchRequest<TKey>.Staging)
            {
                // The loop completes it once staging is done.
                if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.CancelRequested, state) == state)
                {
                    return;
                }
            }
            else if (state == BatchRequest<TKey>.Running)
            {
                if (Interlocked.CompareExchange(ref request._state, BatchRequest<TKey>.Finished, state) == state)
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
        Interlocked.Increment(ref _cancelledRequests);
        request.Completion.TrySetCanceled(request.CancellationToken);
    }

    // Called exactly once per enqueued request, before its completion is set, so a caller that
    // submits again right after completing is never counted as concurrent with itself.
    private void Release(TRequest request)
    {
        request.Registration.Unregister();
        Interlocked.Decrement(ref _outstanding);
    }

    // Unregistered callers are counted by how many requests were outstanding together recently.
    private void ObserveConcurrency(long now, int concurrent)
    {
        RollWindow(now);
        _windowPeak = Math.Max(_windowPeak, concurrent);
    }

    private int ExpectedClients(long now)
    {
        RollWindow(now);
        return Math.Max(_registeredClients, Math.Max(_windowPeak, _previousWindowPeak));
    }

    private void RollWindow(long now)
    {
        var age = now - _windowStart;
        if (age >= _clientWindowTicks)
        {
            _previousWindowPeak = age >= 2 * _clientWindowTicks ? 0 : _windowPeak;
            _windowPeak = 0;
            _windowStart = now;
        }
    }
}
