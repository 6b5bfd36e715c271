using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Events;
using StreamDiffusion.StreamHost.Security;
using StreamDiffusion.StreamHost.Serving;
using StreamDiffusion.StreamHost.Tests.Reliability;

namespace StreamDiffusion.StreamHost.Tests.Security;

/// <summary>When auth is on or off, the open-access warning, key hashing and configuration errors.</summary>
public sealed class AuthConfigurationTests
{
    [Theory]
    [InlineData("http://0.0.0.0:0", false, true)]
    [InlineData("http://127.0.0.1:0", false, false)]
    [InlineData("http://0.0.0.0:0", true, false)]
    public async Task A_host_open_beyond_loopback_without_keys_warns_at_start(string httpUrl, bool keys, bool warns)
    {
        var log = new CapturedLog();
        await using var host = await LoopbackHost.StartAsync(
            s =>
            {
                LoopbackHost.UseEcho(s);
                log.AddTo(s);
            },
            [$"Listen:HttpUrl={httpUrl}", .. keys ? AuthTestKeys.Settings : []]);
        var warning = log.Lines(LogEventLevel.Warning).Where(l => l.Contains("Authentication is off", StringComparison.Ordinal)).ToList();
        Assert.Equal(warns ? 1 : 0, warning.Count);
        Assert.Equal(keys ? 1 : 0, log.Lines(LogEventLevel.Information).Count(l => l.Contains("Authentication is on: 3 API key(s)", StringComparison.Ordinal)));
        if (warns)
        {
            Assert.Contains("http://0.0.0.0:0", warning[0], StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--Auth:Keys:0:Name=a", "Auth:Keys:0:Sha256 must be the 64 hex digits")]
    [InlineData("--Auth:Keys:0:Sha256=00", "Auth:Keys:0:Name is required")]
    [InlineData("--Auth:RequireKeys=true", "Auth:RequireKeys is set but no Auth:Keys or Auth:Jwt is configured")]
    [InlineData("--Auth:Jwt:SigningKey=c2hvcnQ=", "Auth:Jwt:SigningKey must be base64 of at least 32 bytes")]
    [InlineData("--Auth:MaxFailedAttempts=-1", "Auth:MaxFailedAttempts must not be negative")]
    [InlineData("--Auth:FailedAttemptWindow=00:00:00", "Auth:FailedAttemptWindow must be positive")]
    public void Bad_auth_configuration_fails_the_start_with_the_setting_named(string setting, string message)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ServeCommand.Build(
            ["--Listen:GrpcUrl=http://127.0.0.1:0", "--Listen:HttpUrl=http://127.0.0.1:0", setting]));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_are_random_and_stored_as_their_sha256()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyHash.Hash("abc"));
        var a = ApiKeyHash.NewKey();
        var b = ApiKeyHash.NewKey();
        Assert.NotEqual(a, b);
        Assert.StartsWith(ApiKeyHash.Prefix, a, StringComparison.Ordinal);
        Assert.Equal(4 + 43, a.Length);
        Assert.True(ApiKeyHash.TryParse(ApiKeyHash.Hash(a), out var hash) && hash.Length == 32);
        Assert.False(ApiKeyHash.TryParse(ApiKeyHash.Hash(a)[1..] + "g", out _));
    }

    [Fact]
    public async Task The_keys_name_and_limits_reach_the_calls_http_context_for_the_session_to_read()
    {
        var seen = new TaskCompletionSource<ClientIdentity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await LoopbackHost.StartAsync(
            s =>
            {
                LoopbackHost.UseEcho(s);
                s.AddSingleton<IStartupFilter>(new ObserveIdentity(seen));
            },
            AuthTestKeys.Settings);
        var store = host.App.Services.GetRequiredService<ApiKeyStore>();
        Assert.Equal("limited", store.Find(AuthTestKeys.Limited)?.Name);
        Assert.Null(store.Find(AuthTestKeys.Limited + "x"));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/models");
        request.Headers.Add("x-api-key", AuthTestKeys.Limited);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var identity = await seen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(identity);
        Assert.Equal("limited", identity.Name);
        Assert.Equal(new KeyLimits(1, 5, 256, 256, []), identity.Limits with { AllowedModels = [] });
    }

    // Wraps the whole pipeline and reports the identity authentication left on the /models request.
    private sealed class ObserveIdentity(TaskCompletionSource<ClientIdentity?> seen) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (http, inner) =>
            {
                await inner(http);
                if (http.Request.Path == "/models")
                {
                    seen.TrySetResult(ClientIdentity.Of(http));
                }
            });
            next(app);
        };
    }
}
