using System.Security.Claims;

namespace StreamDiffusion.StreamHost.Sessions;

/// <summary>Who a session runs for, as its transport knows it: what <c>/sessions</c> lists and the log names.</summary>
/// <param name="Transport">"grpc", "websocket", "srt" or "rtmp".</param>
/// <param name="Peer">The client's address as the transport reports it.</param>
/// <param name="User">
/// The authenticated caller, where the transport authenticates one (the HTTP request's user for gRPC and WebSocket);
/// limits that depend on the caller read its claims. Null when the transport has no notion of a user.
/// </param>
/// <param name="MaxFramesPerSecond">The caller's own frame-rate cap (its API key's or token's limit); 0 for none.</param>
/// <param name="Owner">
/// The authenticated client the session belongs to (<c>ClientIdentity.Owner</c>): only it, and admin keys, see the
/// session in <c>/sessions</c>, watch it over MJPEG with a key and control it. Null: no owner (auth off, broadcast).
/// </param>
public sealed record SessionIdentity(string Transport, string Peer, ClaimsPrincipal? User = null, double MaxFramesPerSecond = 0, string? Owner = null);
