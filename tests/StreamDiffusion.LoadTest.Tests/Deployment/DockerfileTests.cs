using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>
/// No Docker engine runs in CI, so the Dockerfile is kept honest by checking it against the project it packages:
/// stages, the project it publishes, the files it copies, the user, the ports, the health check and the volumes.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string s_root = TestPaths.RepoRoot;
    private readonly DockerfileModel _docker = DockerfileModel.Parse(File.ReadAllText(Path.Combine(s_root, "Dockerfile")));

    [Fact]
    public void Build_stage_publishes_the_host_with_the_GPU_package_on_the_SDK_of_the_target_framework()
    {
        var build = _docker.Stage("build");
        var framework = XDocument.Load(Path.Combine(s_root, "Directory.Build.props")).Descendants("TargetFramework").Single().Value;
        Assert.Equal($"mcr.microsoft.com/dotnet/sdk:{framework.Replace("net", string.Empty, StringComparison.Ordinal)}", build.Image);

        var publish = Assert.Single(build.All("RUN"), r => r.StartsWith("dotnet publish", StringComparison.Ordinal));
        var project = publish.Split(' ')[2];
        Assert.True(File.Exists(Path.Combine(s_root, project)), $"{project} does not exist");
        Assert.Contains("-p:OnnxRuntimeGpu=true", publish, StringComparison.Ordinal);
        Assert.Contains("-o /app", publish, StringComparison.Ordinal);

        // The switch must still pick the GPU package in the pipeline project.
        var pipeline = File.ReadAllText(Path.Combine(s_root, "src/Pipeline/StreamDiffusion.Pipeline.csproj"));
        Assert.Contains("Include=\"Microsoft.ML.OnnxRuntime.Gpu\" Condition=\"'$(OnnxRuntimeGpu)' == 'true'\"", pipeline, StringComparison.Ordinal);

        // Every file the build copies exists, the analyzer settings included (warnings are errors).
        var copied = build.All("COPY").SelectMany(c => c.Split(' ')[..^1]).ToArray();
        Assert.Contains(".editorconfig", copied);
        Assert.All(copied, p => Assert.True(File.Exists(Path.Combine(s_root, p)) || Directory.Exists(Path.Combine(s_root, p)), $"COPY {p}: not in the repository"));
    }

    [Fact]
    public void Runtime_stage_is_CUDA_13_with_cuDNN_9_and_runs_the_published_host_as_a_non_root_user()
    {
        var runtime = _docker.Stages[^1];
        Assert.Matches(CudaImage(), runtime.Image);
        Assert.Contains(runtime.All("COPY"), c => c == "--from=build /app /app");
        Assert.Contains(runtime.All("COPY"), c => c.StartsWith("--from=dotnet /usr/share/dotnet", StringComparison.Ordinal));
        Assert.Equal("aspnet", _docker.Stage("dotnet").Image.Split('/')[^1].Split(':')[0]);

        var user = runtime.Last("USER").Split(':')[0];
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Contains(runtime.All("RUN"), r => r.Contains($"useradd --system --uid {user}", StringComparison.Ordinal));

        var assembly = XDocument.Load(Path.Combine(s_root, "src/StreamHost/StreamDiffusion.StreamHost.csproj")).Descendants("AssemblyName").Single().Value;
        Assert.Equal($"[\"dotnet\", \"{assembly}.dll\", \"serve\"]", runtime.Last("ENTRYPOINT"));
        Assert.Equal("/app", runtime.Last("WORKDIR"));
    }

    [Fact]
    public void Ports_health_check_and_volumes_match_the_host_configuration()
    {
        var runtime = _docker.Stages[^1];
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_root, "src/StreamHost/appsettings.json")));
        var listen = settings.RootElement.GetProperty("Listen");
        var grpcPort = new Uri(listen.GetProperty("GrpcUrl").GetString()!).Port;
        var httpPort = new Uri(listen.GetProperty("HttpUrl").GetString()!).Port;

        Assert.Equal([$"{grpcPort}", $"{httpPort}"], runtime.Last("EXPOSE").Split(' ')[..2]);
        var env = runtime.Last("ENV");
        Assert.Contains($"Listen__GrpcUrl=http://0.0.0.0:{grpcPort}", env, StringComparison.Ordinal);
        Assert.Contains($"Listen__HttpUrl=http://0.0.0.0:{httpPort}", env, StringComparison.Ordinal);

        // The cache variable is the one the default model pack reads; both volumes are declared.
        Assert.Contains("STREAMDIFFUSION_CACHE=/cache", env, StringComparison.Ordinal);
        Assert.Contains("\"STREAMDIFFUSION_CACHE\"", File.ReadAllText(Path.Combine(s_root, "src/Pipeline/Models/DefaultModelPack.cs")), StringComparison.Ordinal);
        Assert.Equal("[\"/models\", \"/cache\"]", runtime.Last("VOLUME"));
        Assert.Contains(runtime.All("RUN"), r => r.Contains("chown streamdiffusion:streamdiffusion /cache", StringComparison.Ordinal));

        // The health check asks the route the host maps, on the web port.
        Assert.Contains($"http://127.0.0.1:{httpPort}/healthz", runtime.Last("HEALTHCHECK"), StringComparison.Ordinal);
        Assert.Contains("MapHealthChecks(\"/healthz\")", File.ReadAllText(Path.Combine(s_root, "src/StreamHost/Serving/ServeCommand.cs")), StringComparison.Ordinal);

        // The drain deadline fits inside the Kubernetes grace period (checked again against the manifests).
        Assert.Contains("Capacity__DrainTimeout=", env, StringComparison.Ordinal);
    }

    [Fact]
    public void Runtime_image_carries_the_broadcast_path_ffmpeg_with_libsrt_and_exposes_its_ports()
    {
        var runtime = _docker.Stages[^1];

        // ffmpeg decodes, encodes, remuxes RTMP and segments HLS; the host loads libsrt itself for its listeners.
        var install = Assert.Single(runtime.All("RUN"), r => r.Contains("apt-get install", StringComparison.Ordinal));
        var packages = install.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("ffmpeg", packages);
        var srtPackage = Assert.Single(packages, p => p.StartsWith("libsrt", StringComparison.Ordinal));

        // The package ships the library file the host looks for (libsrt1.5-gnutls -> libsrt-gnutls.so.1.5).
        var version = LibsrtPackage().Match(srtPackage);
        Assert.True(version.Success, $"{srtPackage}: not a libsrtX.Y-flavour package");
        var library = $"libsrt-{version.Groups["flavour"].Value}.so.{version.Groups["version"].Value}";
        Assert.Contains($"\"{library}\"", File.ReadAllText(Path.Combine(s_root, "src/StreamHost/Broadcast/SrtNative.cs")), StringComparison.Ordinal);

        // Ports: SRT ingest and output are UDP, RTMP is TCP, all at the host's defaults, bound on every interface.
        var defaults = new StreamDiffusion.StreamHost.Broadcast.BroadcastOptions();
        var exposed = runtime.Last("EXPOSE").Split(' ');
        Assert.Contains($"{defaults.SrtPort}/udp", exposed);
        Assert.Contains($"{defaults.SrtOutputPort}/udp", exposed);
        Assert.Contains($"{defaults.RtmpPort}/tcp", exposed);
        Assert.Contains("Broadcast__BindAddress=0.0.0.0", runtime.Last("ENV"), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^libsrt(?<version>\d+\.\d+)-(?<flavour>gnutls|openssl)$")]
    private static partial Regex LibsrtPackage();

    [GeneratedRegex(@"^nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-ubuntu\d\d\.\d\d$")]
    private static partial Regex CudaImage();
}
