// Streams a chat completion through a gateway with OpenAI's official SDK (openai) and prints what the SDK made of
// the stream, as JSON: the text it read, and the error it raised, if any, by class, status, code and message.
// Usage: OPENAI_BASE_URL=http://127.0.0.1:port/v1 OPENAI_API_KEY=... OPENAI_MODEL=chat node openai-stream.mjs
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY, maxRetries: 0 });
const result = { text: '', chunks: 0, finishReason: null, error: null };
try {
  const stream = await client.chat.completions.create({
    model: process.env.OPENAI_MODEL ?? 'chat',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  for await (const chunk of stream) {
    result.chunks++;
    result.text += chunk.choices[0]?.delta?.content ?? '';
    result.finishReason = chunk.choices[0]?.finish_reason ?? result.finishReason;
  }
} catch (error) {
  result.error = { name: error.constructor.name, status: error.status ?? null, code: error.code ?? null, message: error.message };
}

console.log(JSON.stringify(result));
