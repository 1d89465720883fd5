// A request as one line of an OpenAI batch file (vllm run-batch, the /batches APIs): the body
// buildRequest makes for the online request, byte for byte, and the path the service routes it by.
import type { InferRequest } from '../backend.js';
import { t } from '../../i18n/index.js';
import { UsageError } from '../../support/errors.js';
import { buildRequest, type ResolvedFlavor } from './flavors.js';

/** The line's `url`, which is also the batch's `endpoint`: Zhipu's API routes /v4, everyone else /v1. */
export function batchUrl(flavor: ResolvedFlavor): string {
  if (flavor === 'infer') throw new UsageError(t('batch:flavor_infer'));
  return flavor === 'zhipu' ? '/v4/chat/completions' : '/v1/chat/completions';
}

/** One line of a request file, without its newline. */
export function batchLine(customId: string, flavor: ResolvedFlavor, model: string, request: InferRequest): string {
  const { body } = buildRequest(flavor, model, request);
  return JSON.stringify({ custom_id: customId, method: 'POST', url: batchUrl(flavor), body });
}
