namespace StreamDiffusion.Pipeline.Tests.Hub;

/// <summary>One request seen by <see cref="FakeHubServer"/>.</summary>
internal sealed record RecordedRequest(string Target, string Host, string? Range, string? Authorization);
