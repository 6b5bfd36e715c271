using System.Globalization;
using Spectre.Console;
using StreamDiffusion.LoadTest.Running;

namespace StreamDiffusion.LoadTest.Reporting;

/// <summary>
/// Live progress: on a terminal a Spectre.Console live table refreshed once per sample; when the output is
/// redirected one plain line per sample (programs read it).
/// </summary>
public sealed class ProgressView
{
    private readonly IAnsiConsole _console;
    private readonly bool _live;
    private static readonly string[] s_columns = ["t_s", "streams", "sessions", "fps_in", "fps_out", "p50_ms", "p95_ms", "dropped", "unsent", "errors"];
    private readonly Table _table = new Table().AddColumns(s_columns);
    private LiveDisplayContext? _context;
    private int _rowStreams = -1;

    /// <summary>Creates the view.</summary>
    public ProgressView(IAnsiConsole console, bool live)
    {
        _console = console;
        _live = live;
    }

    /// <summary>Runs <paramref name="work"/> while showing its progress.</summary>
    public async Task<T> RunAsync<T>(Func<Action<int, LoadRecorder, TimeSample>, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!_live)
        {
            return await work(WriteLine).ConfigureAwait(false);
        }

        return await _console.Live(_table).StartAsync(async context =>
        {
            _context = context;
            return await work(Update).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static string[] Cells(int streams, LoadRecorder recorder, TimeSample sample) =>
    [
        sample.Seconds.ToString("0", CultureInfo.InvariantCulture),
        streams.ToString(CultureInfo.InvariantCulture),
        recorder.All.Sessions.ToString(CultureInfo.InvariantCulture),
        sample.FpsIn.ToString("0.0", CultureInfo.InvariantCulture),
        sample.FpsOut.ToString("0.0", CultureInfo.InvariantCulture),
        double.IsFinite(sample.P50Ms) ? sample.P50Ms.ToString("0.0", CultureInfo.InvariantCulture) : "-",
        double.IsFinite(sample.P95Ms) ? sample.P95Ms.ToString("0.0", CultureInfo.InvariantCulture) : "-",
        recorder.All.Dropped.ToString(CultureInfo.InvariantCulture),
        recorder.Unsent.ToString(CultureInfo.InvariantCulture),
        recorder.Errors.Values.Sum().ToString(CultureInfo.InvariantCulture),
    ];

    private void WriteLine(int streams, LoadRecorder recorder, TimeSample sample)
    {
        var cells = Cells(streams, recorder, sample);
        _console.WriteLine(string.Join(' ', s_columns.Select((c, i) => $"{c}={cells[i]}")));
    }

    private void Update(int streams, LoadRecorder recorder, TimeSample sample)
    {
        // One row per stream count (a ramp adds a row per step), the current one updated in place.
        var cells = Cells(streams, recorder, sample).Select(c => new Text(c)).ToArray();
        if (_rowStreams != streams)
        {
            _rowStreams = streams;
            _table.AddRow(cells);
        }
        else
        {
            for (var i = 0; i < cells.Length; i++)
            {
                _table.UpdateCell(_table.Rows.Count - 1, i, cells[i]);
            }
        }

        _context?.Refresh();
    }
}
