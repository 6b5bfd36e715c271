using System.Net;
using StreamDiffusion.Pipeline.Models.Hub;

namespace StreamDiffusion.Pipeline.Tests.Hub;

public sealed class ModelPackDownloaderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hubpull-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<string, byte[]> _pack = HubTestPack.Create();

    public ModelPackDownloaderTests() => Directory.CreateDirectory(_root);

    private string Out => Path.Combine(_root, "models", "sd-turbo-onnx");

    private string Staging => Out + ModelPackDownloader.StagingSuffix;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Task<PullResult> PullAsync(
        FakeHubServer server,
        string outDir,
        string? token = null,
        string repository = HubTestPack.Repository,
        string revision = "main",
        IReadOnlyList<string>? include = null,
        int maxRetries = 3,
        bool overwrite = false,
        IProgress<PullProgress>? progress = null)
    {
        var options = new PullOptions
        {
            Repository = repository,
            Revision = revision,
            OutputDirectory = outDir,
            Include = include ?? [],
            MaxRetries = maxRetries,
            RetryDelay = TimeSpan.Zero,
            Overwrite = overwrite,
        };

        return Run();

        // The client must outlive the pull, so it is created and disposed inside the awaited body.
        async Task<PullResult> Run()
        {
            using var client = new HubClient(server.Endpoint, token);
            return await new ModelPackDownloader(client).PullAsync(options, progress);
        }
    }

    private void AssertPackEquals(IEnumerable<string> expectedPaths, string dir)
    {
        var expected = expectedPaths.Order(StringComparer.Ordinal).ToList();
        var actual = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => p != ModelPackDownloader.ManifestFileName)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expected, actual);
        foreach (var path in expected)
        {
            Assert.True(_pack[path].AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, path))), $"{path} differs");
        }
    }

    [Fact]
    public async Task Pull_RoundTripsEveryFileByteForByte_AndSkipsFrameworkWeightsByDefault()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        var result = await PullAsync(server, Out);

        var expected = HubTestPack.DefaultSelection(_pack).ToList();
        AssertPackEquals(expected, Out);
        Assert.False(Directory.Exists(Staging));
        Assert.Equal(expected.Count, result.Files.Count);
        Assert.Equal(expected.Count, result.VerifiedFiles);
        Assert.Equal(expected.Sum(p => (long)_pack[p].Length), result.TotalBytes);
        Assert.Equal(result.TotalBytes, result.DownloadedBytes);
        Assert.Equal(server.CommitSha, result.Commit);
        Assert.False(result.AlreadyUpToDate);
        Assert.True(File.Exists(Path.Combine(Out, ModelPackDownloader.ManifestFileName)));

        // LFS files went through the redirect to the CDN host; the skipped weights were never requested.
        var requests = server.Requests.ToList();
        Assert.Equal(5, requests.Count(r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal)));
        Assert.DoesNotContain(requests, r => r.Target.Contains("safetensors", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pull_PackWrittenToDisk_RoundTripsThroughFromDirectory()
    {
        var source = Path.Combine(_root, "source");
        foreach (var (path, data) in _pack)
        {
            var file = Path.Combine(source, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllBytesAsync(file, data);
        }

        await using var server = FakeHubServer.FromDirectory(HubTestPack.Repository, source);
        await PullAsync(server, Out, include: ["**"]);

        AssertPackEquals(_pack.Keys, Out);
    }

    [Fact]
    public async Task Pull_CorruptedLfsFile_IsRefusedNamingFileAndBothHashes_AndLeavesNoOutput()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        var bad = server.Corrupt("unet/model.onnx");

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out));

        Assert.Equal(HubErrorKind.IntegrityMismatch, ex.Kind);
        Assert.Contains("unet/model.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains(FakeHubServer.Sha256Hex(_pack["unet/model.onnx"]), ex.Message, StringComparison.Ordinal);
        Assert.Contains(FakeHubServer.Sha256Hex(bad), ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
        Assert.False(File.Exists(Path.Combine(Staging, "unet", "model.onnx")));
        Assert.False(File.Exists(Path.Combine(Staging, "unet", "model.onnx" + ModelPackDownloader.IncompleteSuffix)));
    }

    [Fact]
    public async Task Pull_CorruptedPlainGitFile_IsRefusedByGitBlobId()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        server.Corrupt("scheduler/scheduler_config.json");

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out));

        Assert.Equal(HubErrorKind.IntegrityMismatch, ex.Kind);
        Assert.Contains("scheduler/scheduler_config.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(FakeHubServer.GitBlobOid(_pack["scheduler/scheduler_config.json"]), ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Pull_MissingRepository_Throws404NamingIt()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out, repository: "nobody/missing-model"));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal(HubErrorKind.RepositoryNotFound, ex.Kind);
        Assert.Contains("'nobody/missing-model'", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
        Assert.False(Directory.Exists(Staging));
    }

    [Fact]
    public async Task Pull_MissingRevision_Throws404NamingRevisionAndRepository()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out, revision: "v9.9"));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal(HubErrorKind.RevisionNotFound, ex.Kind);
        Assert.Contains("'v9.9'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(HubTestPack.Repository, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_GatedRepositoryWithoutToken_Throws401AskingForHfToken()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack) { RequiredToken = "hf_secret" };

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal(HubErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("gated or private", ex.Message, StringComparison.Ordinal);
        Assert.Contains("HF_TOKEN", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Pull_GatedRepositoryWithWrongToken_Throws403()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack) { RequiredToken = "hf_secret" };

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out, token: "hf_wrong"));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Equal(HubErrorKind.Unauthorized, ex.Kind);
        Assert.Contains("token was refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_GatedRepositoryWithToken_SendsBearerToHubOnly()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack) { RequiredToken = "hf_secret" };

        await PullAsync(server, Out, token: "hf_secret");

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        var requests = server.Requests.ToList();
        Assert.All(requests.Where(r => !r.Target.StartsWith("/cdn/", StringComparison.Ordinal)), r => Assert.Equal("Bearer hf_secret", r.Authorization));

        // The CDN is another host (signed URLs there): the token must not leak to it.
        var cdn = requests.Where(r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(cdn);
        Assert.All(cdn, r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task Pull_ConnectionDroppedMidFile_ResumesWithRangeAndCompletes()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        server.DropOnce("unet/model.onnx_data", 300_000);

        var result = await PullAsync(server, Out);

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        var sha = FakeHubServer.Sha256Hex(_pack["unet/model.onnx_data"]);
        var fetches = server.Requests.Where(r => r.Target == "/cdn/" + sha).ToList();
        Assert.Equal(2, fetches.Count);
        Assert.Null(fetches[0].Range);
        Assert.NotNull(fetches[1].Range);
        var resumedAt = long.Parse(fetches[1].Range!["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(resumedAt, 1, 300_000);

        // Nothing was fetched twice: the bytes received equal the pack size.
        Assert.Equal(result.TotalBytes, result.DownloadedBytes);
    }

    [Fact]
    public async Task Pull_IncompleteFileFromEarlierRun_ContinuesWithRangeRequest()
    {
        const string file1 = "unet/model.onnx_data";
        var incomplete = Path.Combine(Staging, "unet", "model.onnx_data" + ModelPackDownloader.IncompleteSuffix);
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        await File.WriteAllBytesAsync(incomplete, _pack[file1].AsSpan(0, 123_456).ToArray());

        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        var result = await PullAsync(server, Out);

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        Assert.Contains(server.Requests, r => r.Target.StartsWith("/cdn/", StringComparison.Ordinal) && r.Range == "bytes=123456-");
        Assert.Equal(result.TotalBytes - 123_456, result.DownloadedBytes);
    }

    [Fact]
    public async Task Pull_ServerIgnoringRange_RestartsFileFromZero()
    {
        var incomplete = Path.Combine(Staging, "unet", "model.onnx_data" + ModelPackDownloader.IncompleteSuffix);
        Directory.CreateDirectory(Path.GetDirectoryName(incomplete)!);
        await File.WriteAllBytesAsync(incomplete, new byte[1000]); // wrong bytes: only a restart can fix them

        await using var server = new FakeHubServer(HubTestPack.Repository, _pack) { IgnoreRange = true };
        await PullAsync(server, Out);

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        Assert.Contains(server.Requests, r => r.Range == "bytes=1000-");
    }

    [Fact]
    public async Task Pull_ResumesFromStagingFolderAfterAFailedRun_WithoutRefetchingFinishedFiles()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        const string last = "vae_encoder/model.onnx";
        server.Fail(last, 500);

        var first = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out, maxRetries: 1));
        Assert.Equal(HttpStatusCode.InternalServerError, first.StatusCode);
        Assert.Contains(last, first.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
        Assert.True(Directory.Exists(Staging));

        server.Heal(last);
        var before = server.Requests.Count;
        var result = await PullAsync(server, Out);

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        var selected = HubTestPack.DefaultSelection(_pack).ToList();
        Assert.Equal(selected.Count - 1, result.ReusedFiles);
        Assert.Equal(_pack[last].Length, result.DownloadedBytes);
        var second = server.Requests.Skip(before).Where(r => r.Target.Contains("/resolve/", StringComparison.Ordinal)).ToList();
        Assert.Single(second);
        Assert.EndsWith(last, second[0].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_OutputFolderAppearsOnlyAfterEveryFileIsVerified()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        var outExistedDuringPull = false;
        var progress = new RecordingProgress(_ => outExistedDuringPull |= Directory.Exists(Out));

        await PullAsync(server, Out, progress: progress);

        Assert.False(outExistedDuringPull);
        Assert.True(Directory.Exists(Out));
        var reports = progress.Reports;
        var selected = HubTestPack.DefaultSelection(_pack).ToList();
        Assert.Equal(selected.Order(StringComparer.Ordinal), reports.Where(r => r.State == PullFileState.Done).Select(r => r.File).Order(StringComparer.Ordinal));
        Assert.All(reports, r => Assert.InRange(r.BytesDone, 0, r.TotalBytes));
        Assert.Contains(reports, r => r.State == PullFileState.Verifying);
        Assert.All(reports, r => Assert.Equal(selected.Count, r.FileCount));
    }

    [Fact]
    public async Task Pull_PaginatedTree_FollowsLinkHeader()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack) { PageSize = 3 };

        await PullAsync(server, Out);

        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
        Assert.True(server.Requests.Count(r => r.Target.Contains("/tree/", StringComparison.Ordinal)) >= 5);
    }

    [Fact]
    public async Task Pull_IncludePatterns_SelectOnlyMatchingFiles()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);

        var result = await PullAsync(server, Out, include: ["*.json", "unet/*"]);

        var expected = _pack.Keys.Where(k => k.EndsWith(".json", StringComparison.Ordinal) || k.StartsWith("unet/", StringComparison.Ordinal)).ToList();
        Assert.Contains("unet/diffusion_pytorch_model.safetensors", expected); // an explicit include lifts the default excludes
        AssertPackEquals(expected, Out);
        Assert.Equal(expected.Count, result.Files.Count);
    }

    [Fact]
    public async Task Pull_FilterMatchingNothing_FailsWithoutCreatingFolders()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out, include: ["*.gguf"]));

        Assert.Equal(HubErrorKind.NoMatchingFiles, ex.Kind);
        Assert.Contains("*.gguf", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Staging));
    }

    [Fact]
    public async Task Pull_Twice_SecondRunIsUpToDateWithoutDownloads()
    {
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);
        await PullAsync(server, Out);
        var before = server.Requests.Count;

        var again = await PullAsync(server, Out);

        Assert.True(again.AlreadyUpToDate);
        Assert.DoesNotContain(server.Requests.Skip(before), r => r.Target.Contains("/resolve/", StringComparison.Ordinal));
        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
    }

    [Fact]
    public async Task Pull_IntoFolderHoldingSomethingElse_RefusesUnlessOverwrite()
    {
        Directory.CreateDirectory(Out);
        await File.WriteAllTextAsync(Path.Combine(Out, "mine.txt"), "keep me");
        await using var server = new FakeHubServer(HubTestPack.Repository, _pack);

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out));
        Assert.Equal(HubErrorKind.OutputExists, ex.Kind);
        Assert.True(File.Exists(Path.Combine(Out, "mine.txt")));

        await PullAsync(server, Out, overwrite: true);
        AssertPackEquals(HubTestPack.DefaultSelection(_pack), Out);
    }

    [Fact]
    public async Task Pull_UnreachableHost_ThrowsNetworkErrorNamingTheUrl()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        using var client = new HubClient(new Uri($"http://127.0.0.1:{port}"));
        var options = new PullOptions { Repository = HubTestPack.Repository, OutputDirectory = Out, RetryDelay = TimeSpan.Zero };
        var ex = await Assert.ThrowsAsync<HubException>(() => new ModelPackDownloader(client).PullAsync(options));

        Assert.Equal(HubErrorKind.Network, ex.Kind);
        Assert.Null(ex.StatusCode);
        Assert.Contains($"http://127.0.0.1:{port}/api/models/{HubTestPack.Repository}/tree/main", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pull_TreeNamingAPathOutsideThePack_IsRefused()
    {
        var pack = new Dictionary<string, byte[]>(_pack) { ["../escape.json"] = "{}"u8.ToArray() };
        await using var server = new FakeHubServer(HubTestPack.Repository, pack);

        var ex = await Assert.ThrowsAsync<HubException>(() => PullAsync(server, Out));

        Assert.Equal(HubErrorKind.InvalidResponse, ex.Kind);
        Assert.Contains("../escape.json", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "models", "escape.json")));
    }
}
