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

    /// <summary>Reads an OpenAI error body, failing the test if the body is not one.</summary>
    public static async Task<(string Message, string Type, string? Code, string? Param)> ReadErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error");
        return (error.GetProperty("message").GetString()!, error.GetProperty("type").GetString()!,
            error.GetProperty("code").GetString(), error.GetProperty("param").GetString());
    }
}
