using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>
/// The manifests of one kustomization folder, loaded into the KubernetesClient's typed models. A field the typed
/// model does not know is lost on the way in, so each document is also compared key by key with its typed
/// round trip: a misspelt or misplaced field fails the load instead of being ignored.
/// </summary>
internal sealed class ManifestSet
{
    private ManifestSet(string folder, IReadOnlyList<object> objects, IReadOnlyList<string> kustomization)
    {
        Folder = folder;
        Objects = objects;
        Kustomization = kustomization;
    }

    public string Folder { get; }

    public IReadOnlyList<object> Objects { get; }

    /// <summary>The kustomization's resources and patches entries, as listed.</summary>
    public IReadOnlyList<string> Kustomization { get; }

    public T Single<T>() => Objects.OfType<T>().Single();

    public static ManifestSet Load(string folder)
    {
        var kustomization = ReadKustomization(Path.Combine(folder, "kustomization.yaml"));
        var objects = new List<object>();
        foreach (var entry in kustomization)
        {
            var path = Path.Combine(folder, entry);
            if (Directory.Exists(path))
            {
                continue;
            }

            Assert.True(File.Exists(path), $"{folder}/kustomization.yaml lists {entry}, which does not exist");
            var text = File.ReadAllText(path);
            var typed = KubernetesYaml.LoadAllFromString(text);
            var raw = new YamlStream();
            raw.Load(new StringReader(text));
            Assert.Equal(raw.Documents.Count, typed.Count);
            for (var i = 0; i < typed.Count; i++)
            {
                Assert.IsAssignableFrom<IKubernetesObject>(typed[i]);
                var back = new YamlStream();
                back.Load(new StringReader(KubernetesYaml.Serialize(typed[i])));
                AssertSameKeys(raw.Documents[i].RootNode, back.Documents[0].RootNode, $"{entry}: ");
            }

            objects.AddRange(typed);
        }

        return new ManifestSet(folder, objects, kustomization);
    }

    private static List<string> ReadKustomization(string path)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(path)));
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("Kustomization", ((YamlScalarNode)root.Children[new YamlScalarNode("kind")]).Value);
        var entries = new List<string>();
        if (root.Children.TryGetValue(new YamlScalarNode("resources"), out var resources))
        {
            entries.AddRange(((YamlSequenceNode)resources).Children.Select(n => ((YamlScalarNode)n).Value!));
        }

        if (root.Children.TryGetValue(new YamlScalarNode("patches"), out var patches))
        {
            entries.AddRange(((YamlSequenceNode)patches).Children.Select(n => ((YamlScalarNode)((YamlMappingNode)n).Children[new YamlScalarNode("path")]).Value!));
        }

        return entries;
    }

    /// <summary>Every key of the hand-written document is in the typed round trip (defaults may add keys, none may vanish).</summary>
    private static void AssertSameKeys(YamlNode written, YamlNode typed, string path)
    {
        switch (written)
        {
            case YamlMappingNode map:
                var typedMap = Assert.IsType<YamlMappingNode>(typed);
                foreach (var (key, value) in map.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    Assert.True(typedMap.Children.TryGetValue(key, out var typedValue), $"{path}{name}: not a field of the Kubernetes schema");
                    AssertSameKeys(value, typedValue!, $"{path}{name}.");
                }

                break;
            case YamlSequenceNode list:
                var typedList = Assert.IsType<YamlSequenceNode>(typed);
                Assert.Equal(list.Children.Count, typedList.Children.Count);
                for (var i = 0; i < list.Children.Count; i++)
                {
                    AssertSameKeys(list.Children[i], typedList.Children[i], $"{path}[{i}].");
                }

                break;
        }
    }
}
