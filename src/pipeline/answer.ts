// Asks the backend about one prepared image and turns the reply into a
// cacheable answer; an empty or malformed structured answer gets one more try.
import type { Backend, InferRequest, InferResult } from '../backends/backend.js';
import { FileFailure, UnusableAnswer, type RawReply } from '../support/errors.js';
import { AnswerError, cleanAnswer, parseJsonAnswer } from './parse.js';
import type { CachedResult } from '../cache/store.js';
import type { ValidateFunction } from 'ajv';

export interface Answer extends CachedResult {
  /** Parsed output for the catalog. */
  value: string | Record<string, unknown> | null;
  /** Why a truncated structured answer has no value. */
  note: string | null;
}

/** Rebuilds the catalog value from stored text; used for fresh and cached answers alike. */
export function answerValue(
  text: string,
  status: CachedResult['status'],
  validate: ValidateFunction | undefined,
  maxTokens: number,
): { value: string | Record<string, unknown> | null; note: string | null } {
  const cut = status === 'truncated' ? `the answer was cut off at max_tokens (${maxTokens}); raise --max-tokens` : null;
  if (!validate) return { value: text, note: cut };
  try {
    return { value: parseJsonAnswer(text, validate), note: cut };
  } catch (error) {
    return { value: null, note: cut ?? (error as Error).message };
  }
}

/** A fresh answer judged once: its catalog value, or why it cannot be used (worth one more try). */
function judge(
  text: string, status: CachedResult['status'], validate: ValidateFunction | undefined, maxTokens: number,
): { value: string | Record<string, unknown> | null; note: string | null } | { problem: string } {
  if (status === 'ok' && text === '') return { problem: 'the model returned an empty answer' };
  if (status !== 'ok' || !validate) return answerValue(text, status, validate, maxTokens);
  try {
    return { value: parseJsonAnswer(text, validate), note: null };
  } catch (error) {
    if (!(error instanceof AnswerError)) throw error;
    return { problem: error.message };
  }
}

/**
 * A server's reply judged as the pipeline judges every answer, online or from a batch file: the
 * answer to cache, or why it cannot be one (online, worth one more try). A content filter's
 * refusal is the file's failure.
 */
export function judgeReply(
  reply: InferResult, validate: ValidateFunction | undefined, promptName: string, maxTokens: number, latencyMs: number | null,
): Answer | { problem: string; reply: RawReply } {
  if (reply.finishReason === 'content_filter') {
    throw new FileFailure("the server's content filter withheld the answer");
  }
  const text = cleanAnswer(reply.text);
  const status = reply.finishReason === 'length' ? 'truncated' : 'ok';
  // An empty or malformed answer is a glitch; never cache it as an answer.
  const judged = judge(text, status, validate, maxTokens);
  if ('problem' in judged) {
    return { problem: judged.problem, reply: { text, model: reply.model, tokensIn: reply.tokensIn ?? null, tokensOut: reply.tokensOut ?? null, latencyMs } };
  }
  const { value, note } = judged;
  return {
    status, output: text, value, note, prompt: promptName, model: reply.model,
    tokensIn: reply.tokensIn ?? null, tokensOut: reply.tokensOut ?? null, latencyMs,
  };
}

export async function ask(
  backend: Pick<Backend, 'infer'>,
  request: InferRequest,
  validate: ValidateFunction | undefined,
  promptName: string,
  signal: AbortSignal,
): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    const reply = await backend.infer(request, signal);
    const latencyMs = Math.round(performance.now() - started);
    const answer = judgeReply(reply, validate, promptName, request.generation.maxTokens, latencyMs);
    if (!('problem' in answer)) return answer;
    // Worth one more try.
    if (attempt === 0) continue;
    throw new UnusableAnswer(`${answer.problem} (after 2 attempts)`, answer.reply);
  }
}
