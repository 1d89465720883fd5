export { createOpenAIBackend } from './client.js';
export type { OpenAIBackendOptions } from './client.js';
export { FLAVORS } from './flavors.js';
export type { Flavor } from './flavors.js';
export {
  APIConnectionError,
  APITimeoutError,
  BadRequestError,
  ConflictError,
  ContentFilterError,
  InternalServerError,
  InvalidResponseError,
  OpenAIBackendError,
  RateLimitError,
} from './errors.js';
