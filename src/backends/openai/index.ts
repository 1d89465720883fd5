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
