namespace StreamDiffusion.StreamHost.Security;

/// <summary>What <see cref="MjpegUrlSigner.Verify"/> found.</summary>
public enum SignedUrlCheck
{
    /// <summary>No signature: the request must authenticate otherwise.</summary>
    Unsigned,

    /// <summary>Signed for this path and not expired.</summary>
    Valid,

    /// <summary>Signed for this path, but past its expiry.</summary>
    Expired,

    /// <summary>The signature does not match the path and expiry (altered, or another host's secret).</summary>
    Tampered,
}
