using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using StreamDiffusion.Protos.V1;
using StreamDiffusion.StreamHost.Serving;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>TLS from certificate files: one port serves gRPC (HTTP/2) and HTTP/1.1, chosen by ALPN.</summary>
public sealed class TlsTests
{
    [Theory]
    [InlineData("pem")]
    [InlineData("pfx")]
    public async Task One_tls_port_serves_grpc_over_http2_and_the_web_over_http11(string format)
    {
        var directory = Directory.CreateTempSubdirectory("sdnet-tls-");
        try
        {
            using var certificate = SelfSigned();
            string[] files = format == "pem"
                ? [Write(directory, "host.crt", certificate.ExportCertificatePem()), Write(directory, "host.key", certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem())]
                : [WriteBytes(directory, "host.pfx", certificate.Export(X509ContentType.Pkcs12, "secret"))];
            string[] settings = format == "pem"
                ? ["Listen:Tls:CertificatePath=" + files[0], "Listen:Tls:KeyPath=" + files[1]]
                : ["Listen:Tls:CertificatePath=" + files[0], "Listen:Tls:Password=secret"];
            await using var host = await LoopbackHost.StartAsync(null, ["Listen:GrpcUrl=https://127.0.0.1:0", .. settings]);
            var address = host.App.Services.GetRequiredService<HostEndpoints>().GrpcAddress;
            Assert.Equal("https", address.Scheme);

            using var handler = Trusting(certificate);
            using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false });
            var client = new StreamDiffusion.Protos.V1.StreamDiffusion.StreamDiffusionClient(channel);
            var caps = await client.GetCapabilitiesAsync(new GetCapabilitiesRequest());
            Assert.True(caps.MaxSessions > 0);
            var (call, _) = await Frames.OpenAsync(client, Frames.RawConfig());
            using (call)
            {
                var frame = Frames.Raw(8, 8, 1, 1);
                Assert.Equal(Frames.ExpectedEcho(frame), (await Frames.RoundTripAsync(call, frame)).Data.ToByteArray());
                await Frames.CompleteAsync(call);
            }

            // A handler of its own: the channel takes over the connection logic of the one it is given.
            using var http = new HttpClient(Trusting(certificate)) { BaseAddress = address };
            foreach (var path in new[] { "/healthz", "/", "/sessions" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {response.StatusCode}");
                Assert.Equal(HttpVersion.Version11, response.Version);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_missing_certificate_or_an_http_url_with_tls_is_a_configuration_error()
    {
        var missing = Assert.Throws<InvalidOperationException>(() => ServeCommand.Build(
            ["--Listen:GrpcUrl=https://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0", "--Listen:Tls:CertificatePath=/nonexistent/host.crt"]));
        Assert.Contains("Listen:Tls", missing.Message, StringComparison.Ordinal);
        var https = Assert.Throws<InvalidOperationException>(() => ServeCommand.Build(["--Listen:GrpcUrl=https://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0"]));
        Assert.Contains("must be an http:// URL", https.Message, StringComparison.Ordinal);
    }

    // Trusts exactly the test's self-signed certificate.
    private static SocketsHttpHandler Trusting(X509Certificate2 certificate)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        return handler;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }

    private static string Write(DirectoryInfo directory, string name, string text)
    {
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string WriteBytes(DirectoryInfo directory, string name, byte[] bytes)
    {
        var path = Path.Combine(directory.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
