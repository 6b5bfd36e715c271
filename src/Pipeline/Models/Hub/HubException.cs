using System.Net;

namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>
/// A failure while pulling a model pack from the Hugging Face Hub. The message is meant to be shown to a
/// user as is (one line, naming the repository, revision, file or URL involved).
/// </summary>
public sealed class HubException : Exception
{
    public HubException()
        : this(HubErrorKind.Http, "Hugging Face Hub request failed.")
    {
    }

    public HubException(string message)
        : this(HubErrorKind.Http, message)
    {
    }

    public HubException(string message, Exception innerException)
        : this(HubErrorKind.Http, message, null, null, innerException)
    {
    }

    public HubException(HubErrorKind kind, string message, HttpStatusCode? statusCode = null, Uri? url = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        Url = url;
    }

    /// <summary>The category of the failure.</summary>
    public HubErrorKind Kind { get; }

    /// <summary>The HTTP status the Hub answered with, when the failure came from an HTTP response.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The URL that failed, when there was one.</summary>
    public Uri? Url { get; }
}
