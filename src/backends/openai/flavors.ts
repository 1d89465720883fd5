// Request bodies and response reading for each server flavour.

import type { EncodedImage, FinishReason, InferRequest, InferResult } from '../backend.js';

// In config/constants.ts, so that the settings loader need not load this backend.
import type { Flavor } from '../../config/constants.js';
export type { Flavor };
export { FLAVORS } from '../../config/constants.js';

/** A flavour after detection; 'generic' is a plain OpenAI-compatible server. */
export type ResolvedFlavor = Exclude<Flavor, 'auto'> | 'generic';

export interface RequestPlan {
  /** Appended to the endpoint. */
  path: string;
  body: Record<string, unknown>;
}

export function buildRequest(flavor: ResolvedFlavor, model: string, request: InferRequest): RequestPlan {
  const image = encoded(request);
  if (flavor === 'infer') return buildInferRequest(request);
  const { generation: gen } = request;
  const messages: unknown[] = [];
  if (request.system !== undefined && request.system !== '') {
    messages.push({ role: 'system', content: request.system });
  }
  messages.push({
    role: 'user',
    content: [
      { type: 'image_url', image_url: { url: `data:${image.mime};base64,${image.data.toString('base64')}` } },
      { type: 'text', text: request.prompt },
    ],
  });
  const body: Record<string, unknown> = { model, messages };
  // api.openai.com rejects max_tokens for newer models; everyone else wants max_tokens.
  body[flavor === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = gen.maxTokens;
  setIfDefined(body, 'temperature', gen.temperature);
  setIfDefined(body, 'top_p', gen.topP);
  if (flavor !== 'zhipu') setIfDefined(body, 'seed', gen.seed);
  body.stream = false;
  if (request.schema !== undefined && flavor !== 'zhipu') {
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: request.schemaName ?? 'result', schema: request.schema, strict: true },
    };
  }
  // Zhipu documents response_format for text models only (text/json_object), so
  // its vision models get the schema through the prompt alone.
  if (flavor === 'vllm' || flavor === 'sglang') body.chat_template_kwargs = { enable_thinking: false };
  if (flavor === 'zhipu') body.thinking = { type: 'disabled' };
  return { path: '/chat/completions', body };
}

function encoded(request: InferRequest): EncodedImage {
  if (request.image.kind !== 'encoded') throw new Error('the openai backend needs an encoded image');
  return request.image;
}

function buildInferRequest(request: InferRequest): RequestPlan {
  const image = encoded(request);
  const system = request.system !== undefined && request.system !== '' ? `${request.system}\n\n` : '';
  const body: Record<string, unknown> = {
    image: image.data.toString('base64'),
    text: system + request.prompt,
    max_tokens: request.generation.maxTokens,
  };
  setIfDefined(body, 'temperature', request.generation.temperature);
  return { path: '/infer', body };
}

function setIfDefined(body: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) body[key] = value;
}

export type ReadOutcome = { ok: true; result: InferResult } | { ok: false; reason: string };

/** Reads a parsed 2xx body. Not ok means the body carries no answer (treat as garbled). */
export function readResponse(flavor: ResolvedFlavor, json: unknown, model: string): ReadOutcome {
  if (!isRecord(json)) return { ok: false, reason: 'the body is not a JSON object' };
  return flavor === 'infer' ? readInferResponse(json, model) : readChatResponse(json, model);
}

function readChatResponse(json: Record<string, unknown>, model: string): ReadOutcome {
  const choices = json.choices;
  if (!Array.isArray(choices)) return { ok: false, reason: 'the body has no "choices"' };
  const choice: unknown = choices[0];
  if (!isRecord(choice)) return { ok: false, reason: '"choices" is empty' };
  const message = isRecord(choice.message) ? choice.message : {};
  const content = readContent(message.content);
  const reasoning = firstNonEmptyString(message.reasoning, message.reasoning_content);
  const result: InferResult = {
    // Servers with a reasoning parser sometimes put the whole answer in reasoning.
    text: content.trim() === '' && reasoning !== undefined ? reasoning : content,
    finishReason: mapFinishReason(choice.finish_reason),
    model: typeof json.model === 'string' && json.model !== '' ? json.model : model,
  };
  if (reasoning !== undefined) result.reasoning = reasoning;
  addUsage(result, json.usage);
  return { ok: true, result };
}

function readInferResponse(json: Record<string, unknown>, model: string): ReadOutcome {
  if (typeof json.output !== 'string') return { ok: false, reason: 'the body has no "output" string' };
  const result: InferResult = {
    text: json.output,
    finishReason: json.finish_reason === undefined ? 'stop' : mapFinishReason(json.finish_reason),
    model: typeof json.model === 'string' && json.model !== '' ? json.model : model,
  };
  addUsage(result, json.usage);
  return { ok: true, result };
}

function readContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isRecord(part) && typeof part.text === 'string' && (part.type ?? 'text') === 'text' ? part.text : ''))
    .join('');
}

function addUsage(result: InferResult, usage: unknown): void {
  if (!isRecord(usage)) return;
  if (typeof usage.prompt_tokens === 'number') result.tokensIn = usage.prompt_tokens;
  if (typeof usage.completion_tokens === 'number') result.tokensOut = usage.completion_tokens;
}

export function mapFinishReason(reason: unknown): FinishReason {
  switch (reason) {
    case 'stop':
    case 'eos':
    case 'end_turn':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
    case 'sensitive':
      return 'content_filter';
    default:
      return 'other';
  }
}

function firstNonEmptyString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value !== '') return value;
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
