using System.Text.Json;
using k8s.Models;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>
/// deploy/ validated in CI: every manifest loads into the KubernetesClient's typed models without losing a field,
/// and the pieces agree with each other and with the host (ports, probes, drain deadline, labels, metric names).
/// </summary>
public sealed class ManifestTests
{
    private static readonly string s_deploy = Path.Combine(TestPaths.RepoRoot, "deploy");
    private readonly ManifestSet _base = ManifestSet.Load(Path.Combine(s_deploy, "base"));

    [Fact]
    public void Base_manifests_are_valid_and_consistent()
    {
        var deployment = _base.Single<V1Deployment>();
        var pod = deployment.Spec.Template.Spec;
        var host = Assert.Single(pod.Containers);
        var labels = deployment.Spec.Template.Metadata.Labels;
        Assert.All(deployment.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));

        // Ports: the Service targets the container's named ports; probes ask the gRPC health service.
        var ports = host.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        var service = _base.Single<V1Service>();
        Assert.All(service.Spec.Selector, l => Assert.Equal(l.Value, labels[l.Key]));
        Assert.All(service.Spec.Ports, p => Assert.True(ports.ContainsKey(p.TargetPort.Value), $"service port {p.Name} targets {p.TargetPort.Value}"));
        Assert.Equal("kubernetes.io/h2c", service.Spec.Ports.Single(p => p.Name == "grpc").AppProtocol);
        Assert.Equal(ports["grpc"], host.ReadinessProbe.Grpc.Port);
        Assert.Equal(ports["grpc"], host.LivenessProbe.Grpc.Port);
        Assert.Equal(ServeCommand.GrpcServiceName, host.LivenessProbe.Grpc.Service);

        // The host listens where the ports say.
        var config = _base.Objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "streamdiffusion-config");
        Assert.Contains(host.EnvFrom, e => e.ConfigMapRef?.Name == config.Metadata.Name);
        Assert.EndsWith($":{ports["grpc"]}", config.Data["Listen__GrpcUrl"], StringComparison.Ordinal);
        Assert.EndsWith($":{ports["http"]}", config.Data["Listen__HttpUrl"], StringComparison.Ordinal);

        // Broadcast: the host listens for SRT (UDP) and RTMP (TCP) on the container ports, on every interface, and
        // the Service forwards each with the container port's protocol.
        var protocols = host.Ports.ToDictionary(p => p.Name, p => p.Protocol ?? "TCP");
        Assert.Equal("true", config.Data["Broadcast__Enabled"]);
        Assert.Equal("0.0.0.0", config.Data["Broadcast__BindAddress"]);
        foreach (var (name, key, protocol) in new[] { ("srt-in", "SrtPort", "UDP"), ("srt-out", "SrtOutputPort", "UDP"), ("rtmp", "RtmpPort", "TCP") })
        {
            Assert.Equal(protocol, protocols[name]);
            Assert.Equal(ports[name].ToString(System.Globalization.CultureInfo.InvariantCulture), config.Data["Broadcast__" + key]);
            Assert.Contains(service.Spec.Ports, p => p.TargetPort.Value == name && (p.Protocol ?? "TCP") == protocol);
        }

        Assert.All(service.Spec.Ports, p => Assert.Equal(protocols[p.TargetPort.Value], p.Protocol ?? "TCP"));

        // Drain: preStop pause + drain deadline + the host's unwind fit in the grace period.
        var drain = TimeSpan.Parse(config.Data["Capacity__DrainTimeout"], System.Globalization.CultureInfo.InvariantCulture);
        var preStop = host.Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(preStop + drain.TotalSeconds + 10 <= pod.TerminationGracePeriodSeconds,
            $"grace {pod.TerminationGracePeriodSeconds}s < preStop {preStop}s + drain {drain.TotalSeconds}s + 10s unwind");

        // The model volume is mounted read-only where --model points; the cache is writable for the non-root user.
        Assert.Contains(host.VolumeMounts, m => m.Name == "models" && m.MountPath == "/models" && m.ReadOnlyProperty == true);
        Assert.Contains(pod.Volumes, v => v.Name == "models" && v.PersistentVolumeClaim is not null);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.Contains(host.Env, e => e.Name == "Replica__Name" && e.ValueFrom.FieldRef.FieldPath == "metadata.name");

        // Disruptions and autoscaling point at these pods.
        var pdb = _base.Single<V1PodDisruptionBudget>();
        Assert.All(pdb.Spec.Selector.MatchLabels, l => Assert.Equal(l.Value, labels[l.Key]));
        var hpa = _base.Single<V2HorizontalPodAutoscaler>();
        Assert.Equal(("Deployment", deployment.Metadata.Name), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        var metric = Assert.Single(hpa.Spec.Metrics);
        Assert.Equal("streamdiffusion_sessions_active", metric.Pods.Metric.Name);
        var maxSessions = int.Parse(config.Data["Limits__MaxSessions"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(double.Parse(metric.Pods.Target.AverageValue.ToString(), System.Globalization.CultureInfo.InvariantCulture), 1, maxSessions);
    }

    [Fact]
    public void Autoscaling_metrics_are_ones_the_host_exports()
    {
        var rules = _base.Objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == "streamdiffusion-adapter-rules").Data["config.yaml"];
        var hostSources = string.Join('\n', Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "src/StreamHost/Serving"), "*.cs").Select(File.ReadAllText));
        foreach (var name in new[] { "streamdiffusion_sessions_active", "streamdiffusion_queue_depth", "streamdiffusion_engine_busy_ratio" })
        {
            Assert.Contains($"seriesQuery: '{name}{{", rules, StringComparison.Ordinal);
            Assert.Contains($"\"{name}\"", hostSources, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Gpu_overlay_asks_for_one_GPU_and_the_CUDA_provider_and_the_CPU_overlay_for_none()
    {
        var deployment = _base.Single<V1Deployment>();
        var gpu = ManifestSet.Load(Path.Combine(s_deploy, "overlays/gpu"));
        var cpu = ManifestSet.Load(Path.Combine(s_deploy, "overlays/cpu"));
        Assert.Contains("../../base", gpu.Kustomization);
        Assert.Contains("../../base", cpu.Kustomization);

        var gpuHost = Assert.Single(gpu.Single<V1Deployment>().Spec.Template.Spec.Containers);
        Assert.Equal(deployment.Metadata.Name, gpu.Single<V1Deployment>().Metadata.Name);
        Assert.Equal(deployment.Spec.Template.Spec.Containers[0].Name, gpuHost.Name);
        Assert.Equal("1", gpuHost.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal(["--model", "/models/sd-turbo", "--provider", "CUDA"], gpuHost.Args);

        var cpuHost = Assert.Single(cpu.Single<V1Deployment>().Spec.Template.Spec.Containers);
        Assert.Equal(deployment.Spec.Template.Spec.Containers[0].Name, cpuHost.Name);
        Assert.False(cpuHost.Resources.Limits.ContainsKey("nvidia.com/gpu"));
        Assert.Empty(cpuHost.Args);
    }

    [Fact]
    public void Nginx_config_passes_grpc_least_conn_with_long_timeouts_and_upgrades_websockets()
    {
        var conf = File.ReadAllText(Path.Combine(s_deploy, "nginx/streamdiffusion.conf"));
        Assert.Contains("grpc_pass grpc://streamdiffusion_grpc;", conf, StringComparison.Ordinal);
        Assert.Equal(2, conf.Split("least_conn;").Length - 1);
        Assert.Contains("grpc_read_timeout 1h;", conf, StringComparison.Ordinal);
        Assert.Contains("proxy_http_version 1.1;", conf, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Upgrade $http_upgrade;", conf, StringComparison.Ordinal);

        // Its ports are the host's.
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src/StreamHost/appsettings.json")));
        var grpcPort = new Uri(settings.RootElement.GetProperty("Listen").GetProperty("GrpcUrl").GetString()!).Port;
        Assert.Contains($"listen {grpcPort} http2;", conf, StringComparison.Ordinal);
    }
}
