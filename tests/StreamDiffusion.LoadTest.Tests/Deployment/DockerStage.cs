namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>One stage of a Dockerfile: its base image, its name and its instructions.</summary>
internal sealed record DockerStage(string Image, string Name, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<string> All(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);

    public string Last(string keyword) => All(keyword).Last();
}
