// One line of a batch's output or error file, judged as the online run judges an answer
// (flavors.ts reads the completion, answer.ts cleans and checks it): the answer to cache, or why not.
// {"id", "custom_id", "response": {"status_code", "request_id", "body": {chat completion}}, "error": null | {...}}
import { isRecord, readResponse } from '../backends/openai/index.js';
import type { ValidateFunction } from 'ajv';
import { judgeReply, type Answer } from '../pipeline/answer.js';
import { FileFailure } from '../support/errors.js';
import { t } from '../i18n/index.js';
import { parseCustomId } from './custom-id.js';

/** The answer on one line, quoted, its first RAW_SHOWN characters. */
const RAW_SHOWN = 300;
const quoted = (text: string): string => JSON.stringify(text.length > RAW_SHOWN ? `${text.slice(0, RAW_SHOWN)}…` : text);

/** What a result needs of its job: how its answers are checked and labelled. */
export interface ResultJob {
  prompt: string;
  model: string;
  maxTokens: number;
  validate: ValidateFunction | undefined;
}

export type JudgedLine =
  | { kind: 'garbage'; why: string }
  | { kind: 'unknown'; customId: string; why: string }
  | { kind: 'failed'; customId: string; why: string }
  | { kind: 'answer'; customId: string; job: string; key: string; answer: Answer };

/** The custom_id of a line, if it has one: for finding duplicates before judging. */
export function customIdOf(text: string): string | undefined {
  const line = parse(text);
  return isRecord(line) && typeof line.custom_id === 'string' ? line.custom_id : undefined;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message of an error object, as services write them ({message, code} or {error: {...}}). */
function describeError(error: unknown): string {
  if (!isRecord(error)) return String(error);
  const inner = isRecord(error.error) ? error.error : error;
  const message = typeof inner.message === 'string' ? inner.message : JSON.stringify(inner);
  const code = inner.code ?? inner.type;
  return code === undefined || code === null ? message : `${String(code)}: ${message}`;
}

export function judgeLine(text: string, jobOf: (job: string) => ResultJob | undefined): JudgedLine {
  const line = parse(text);
  if (line === undefined) return { kind: 'garbage', why: t('batch:line.not_json') };
  if (!isRecord(line)) return { kind: 'garbage', why: t('batch:line.not_object') };
  const id = line.custom_id;
  if (typeof id !== 'string') return { kind: 'garbage', why: t('batch:line.no_custom_id') };
  const parsed = parseCustomId(id);
  if (!parsed) return { kind: 'unknown', customId: id, why: t('batch:line.not_ours') };
  const job = jobOf(parsed.job);
  if (!job) return { kind: 'unknown', customId: id, why: t('batch:line.other_cache', { job: parsed.job.slice(0, 12) }) };
  const failed = (why: string): JudgedLine => ({ kind: 'failed', customId: id, why });
  if (line.error !== undefined && line.error !== null) return failed(t('batch:line.service_error', { error: describeError(line.error) }));
  const response = line.response;
  if (!isRecord(response)) return failed(t('batch:line.no_response'));
  const status = response.status_code;
  if (status !== 200) {
    const values = { status: String(status) };
    return failed(isRecord(response.body) ? t('batch:line.status_said', { ...values, error: describeError(response.body) }) : t('batch:line.status', values));
  }
  const read = readResponse('generic', response.body, job.model);
  if (!read.ok) return failed(t('batch:line.not_answer', { reason: read.reason }));
  try {
    const answer = judgeReply(read.result, job.validate, job.prompt, job.maxTokens, null);
    // As in a catalog row's raw_output: what the model said, so a template can be fixed from here.
    if ('problem' in answer) return failed(answer.reply.text === '' ? answer.problem : t('batch:line.rejected', { problem: answer.problem, answer: quoted(answer.reply.text) }));
    return { kind: 'answer', customId: id, job: parsed.job, key: parsed.key, answer };
  } catch (error) {
    if (error instanceof FileFailure) return failed(error.message);
    throw error;
  }
}
