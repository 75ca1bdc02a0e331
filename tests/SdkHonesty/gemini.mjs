// Drives a Gemini API server with Google's official SDK (@google/genai) and prints what it understood, as JSON.
// Usage: GEMINI_BASE_URL=http://127.0.0.1:port GEMINI_API_KEY=... node gemini.mjs
import { GoogleGenAI } from '@google/genai';

const baseUrl = process.env.GEMINI_BASE_URL;
const apiKey = process.env.GEMINI_API_KEY;
const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl } });
const model = 'gemini-2.5-flash';
const result = {};

const plain = await ai.models.generateContent({
  model,
  contents: 'Hello',
  config: { systemInstruction: 'Be terse.', temperature: 0.2, maxOutputTokens: 100 },
});
result.plain = { text: plain.text, finishReason: plain.candidates[0].finishReason, usage: plain.usageMetadata };

let streamed = '';
let chunks = 0;
let lastFinish;
for await (const chunk of await ai.models.generateContentStream({ model, contents: 'Hello again' })) {
  streamed += chunk.text ?? '';
  chunks++;
  lastFinish = chunk.candidates?.[0]?.finishReason ?? lastFinish;
}
result.stream = { text: streamed, chunks, finishReason: lastFinish };

const tools = [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } }] }];
const question = { role: 'user', parts: [{ text: 'Weather in Paris?' }] };
const call = await ai.models.generateContent({ model, contents: [question], config: { tools } });
result.functionCalls = call.functionCalls;
// The model's turn goes back as it came, thought signature included, followed by the function's answer.
const answer = await ai.models.generateContent({
  model,
  contents: [question, call.candidates[0].content, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temperature_c: 18 } } }] }],
  config: { tools },
});
result.afterFunction = answer.text;

const embeddings = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['first text', 'second text'], config: { outputDimensionality: 8 } });
result.embeddings = embeddings.embeddings.map(e => e.values);

try {
  await new GoogleGenAI({ apiKey: 'AIzaSyWrongKey', httpOptions: { baseUrl } }).models.generateContent({ model, contents: 'hi' });
  result.badKey = 'no error';
} catch (error) {
  result.badKey = { status: error.status, message: error.message };
}

try {
  await ai.models.generateContent({ model: 'gemini-unknown', contents: 'hi' });
  result.unknownModel = 'no error';
} catch (error) {
  result.unknownModel = { status: error.status, message: error.message };
}

console.log(JSON.stringify(result));
