using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.Tests.Support;

internal static class Http
{
    public static HttpRequestMessage Post(string path, string body, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, null, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new("Bearer", key);
        }

        return request;
    }

    public static string Chat(string model, string text = "hi", bool stream = false) =>
        JsonSerializer.Serialize(new { model, stream, messages = new[] { new { role = "user", content = text } } });

    /// <summary>
    /// Starts a streamed request, reads its first line, then gives up the way an abandoned SDK call does:
    /// cancelling a read in flight, which closes the connection.
    /// </summary>
    public static async Task AbandonStreamAfterFirstLineAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync().WaitAsync(GatewayHost.Bound);
        using var giveUp = new CancellationTokenSource();
        var reading = reader.ReadToEndAsync(giveUp.Token);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    /// <summary>Reads an OpenAI error body, failing the test if the body is not one.</summary>
    public static async Task<(string Message, string Type, string? Code, string? Param)> ReadErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        return (error.GetProperty("message").GetString()!, error.GetProperty("type").GetString()!,
            error.GetProperty("code").GetString(), error.GetProperty("param").GetString());
    }
}
