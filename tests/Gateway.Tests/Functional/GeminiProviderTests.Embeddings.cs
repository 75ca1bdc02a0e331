using System.Net;
using System.Text.Json;
using FakeProviders.Gemini;
using Gateway.Tests.Support;
using OpenAI.Embeddings;

namespace Gateway.Tests.Functional;

public sealed partial class GeminiProviderTests
{
    [Fact]
    public async Task Embeddings_go_through_batch_embed_contents_and_come_back_as_openais_list()
    {
        var client = _gateway.Sdk().GetEmbeddingClient("embed");

        // The SDK asks for base64 by default; the gateway encodes Gemini's floats as OpenAI does.
        OpenAIEmbeddingCollection embeddings = await client.GenerateEmbeddingsAsync(["first text", "second text"], new EmbeddingGenerationOptions { Dimensions = 8 });

        Assert.Equal(2, embeddings.Count);
        var expected = FakeGeminiServer.Vector("gemini-embedding-001", "second text", 8).Select(v => v!.GetValue<float>()).ToArray();
        Assert.Equal(expected, embeddings[1].ToFloats().ToArray());
        var sent = Assert.Single(_gemini.Requests);
        Assert.Equal("/v1/models/gemini-embedding-001:batchEmbedContents", sent.Path);
        var requests = JsonDocument.Parse(sent.Body).RootElement.GetProperty("requests");
        Assert.Equal("""{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first text"}]},"outputDimensionality":8}""", requests[0].GetRawText());
    }

    [Fact]
    public async Task Embeddings_as_floats_for_a_single_string()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"embed","input":"hello","encoding_format":"float"}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data");
        Assert.Equal(FakeGeminiServer.EmbeddingDimensions, Assert.Single(data.EnumerateArray()).GetProperty("embedding").GetArrayLength());
    }

    [Fact]
    public async Task Token_id_embedding_input_is_refused_because_gemini_reads_text()
    {
        using var response = await _gateway.Client.SendAsync(Http.Post("/v1/embeddings", """{"model":"embed","input":[[1,2,3]]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("'input (token ids)' is not supported by provider 'google' (gemini)", (await Http.ReadErrorAsync(response)).Message, StringComparison.Ordinal);
    }
}
