namespace StreamDiffusion.LoadTest.Tests.Deployment;

/// <summary>One Dockerfile instruction (keyword upper-cased, continuations joined).</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments);
