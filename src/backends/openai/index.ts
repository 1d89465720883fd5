export { createOpenAIBackend } from './client.js';
export type { OpenAIBackendOptions } from './client.js';
export { FLAVORS } from './flavors.js';
export type { ConfigProblem } from './config-rule.js';
export type { Flavor } from './flavors.js';
export {
  APIConnectionError,
  APITimeoutError,
  BadRequestError,
  ConfigurationError,
  ConflictError,
  ContentFilterError,
  InternalServerError,
  InvalidResponseError,
  OpenAIBackendError,
  RateLimitError,
} from './errors.js';
// What doctor's endpoint check shares with the backend: credentials, diagnosis of answers, redaction.
export { authorization, splitCredentials } from './credentials.js';
export {
  apiBaseFix, serveDocs, listed, missingV1Fix, modelAdvice, queryModels, sameModel, servesModel,
} from './diagnose.js';
export { parseErrorBody } from './error-body.js';
export { authFix, formatSeconds } from './errors.js';
export { reasonText } from './reason-text.js';
export { displayEndpoint, normalizeEndpoint, oneLine, redact } from './redact.js';
// What batch files share with the online requests: the fingerprint, the body, the answer's reading.
export { openaiFingerprint } from './client.js';
export { batchLine, batchUrl } from './batch-line.js';
export { isRecord, readResponse, type ResolvedFlavor } from './flavors.js';
export { AttemptTimeout, fetchText } from './http.js';
export { probeFlavor } from './detect-flavor.js';
