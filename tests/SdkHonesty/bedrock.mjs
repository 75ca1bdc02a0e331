// Drives a Bedrock runtime endpoint with AWS's official SDK (@aws-sdk/client-bedrock-runtime): it signs with
// Signature V4 and decodes the binary event stream, checking every CRC. Prints what it understood, as JSON.
// Usage: BEDROCK_ENDPOINT=http://127.0.0.1:port AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... node bedrock.mjs
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// The SDK speaks HTTP/2 to Bedrock by default; over plain loopback HTTP that would need h2c, which Kestrel only
// offers on an HTTP/2-only port. Bedrock serves the same API over HTTP/1.1, as the .NET SDK and the gateway use it.
const requestHandler = new NodeHttpHandler();

const client = new BedrockRuntimeClient({
  region: 'us-east-1',
  endpoint: process.env.BEDROCK_ENDPOINT,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
  maxAttempts: 1,
  requestHandler,
});
const modelId = 'anthropic.claude-3-5-sonnet-20240620-v1:0';
const result = {};

const plain = await client.send(new ConverseCommand({
  modelId,
  system: [{ text: 'Be terse.' }],
  messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
  inferenceConfig: { maxTokens: 100, temperature: 0.2 },
}));
result.plain = { text: plain.output.message.content[0].text, stopReason: plain.stopReason, usage: plain.usage };

const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } } } }] };
const stream = await client.send(new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }], toolConfig }));
const events = [];
let text = '';
let toolInput = '';
for await (const event of stream.stream) {
  const type = Object.keys(event)[0];
  events.push(type);
  text += event.contentBlockDelta?.delta?.text ?? '';
  toolInput += event.contentBlockDelta?.delta?.toolUse?.input ?? '';
  if (event.contentBlockStart?.start?.toolUse) result.toolName = event.contentBlockStart.start.toolUse.name;
  if (event.messageStop) result.streamStop = event.messageStop.stopReason;
  if (event.metadata) result.streamUsage = event.metadata.usage;
}
result.stream = { events, text, toolInput };

try {
  await client.send(new ConverseCommand({ modelId, messages: [{ role: 'assistant', content: [{ text: 'I start.' }] }] }));
  result.assistantFirst = 'no error';
} catch (error) {
  result.assistantFirst = { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

try {
  const wrong = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: process.env.BEDROCK_ENDPOINT, credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: 'not-the-secret' }, maxAttempts: 1, requestHandler });
  await wrong.send(new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  result.badSignature = 'no error';
} catch (error) {
  result.badSignature = { name: error.name, status: error.$metadata?.httpStatusCode };
}

try {
  const throttled = await client.send(new ConverseStreamCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
  for await (const event of throttled.stream) { /* the exception arrives as the stream's next item */ }
  result.streamException = 'no error';
} catch (error) {
  result.streamException = { name: error.name, message: error.message };
}

console.log(JSON.stringify(result));
