namespace StreamDiffusion.Pipeline.Models.Hub;

/// <summary>What went wrong while talking to the Hugging Face Hub or verifying a download.</summary>
public enum HubErrorKind
{
    /// <summary>An HTTP error that has no more specific kind (5xx, 429, unexpected status).</summary>
    Http,

    /// <summary>401/403: the repository is gated or private and no (or an insufficient) token was sent.</summary>
    Unauthorized,

    /// <summary>404: the repository does not exist (or is invisible to this token).</summary>
    RepositoryNotFound,

    /// <summary>404: the repository exists but the revision (branch, tag, commit) does not.</summary>
    RevisionNotFound,

    /// <summary>404: a file listed by the tree API could not be resolved.</summary>
    EntryNotFound,

    /// <summary>The host could not be reached or the connection kept failing.</summary>
    Network,

    /// <summary>A downloaded file does not match the size or hash the Hub advertised.</summary>
    IntegrityMismatch,

    /// <summary>The Hub answered with something this client cannot interpret.</summary>
    InvalidResponse,

    /// <summary>The filter left no file to download.</summary>
    NoMatchingFiles,

    /// <summary>The output folder already holds a different pack and overwriting was not requested.</summary>
    OutputExists,

    /// <summary>An argument (repository id, revision, path) is malformed.</summary>
    InvalidArgument,
}
