// How a batch service can fail us. Messages name the service and what it said; codes are stable.
import { TemporaryFailure, UsageError } from '../support/errors.js';

/** The service said no to the request itself (key, path, file): trying again will not help. Exit 2. */
export class BatchServiceRefused extends UsageError {
  override name = 'BatchServiceRefused';
  override readonly code: string = 'batch_refused';
}

/** The service could not be reached, timed out, or had trouble of its own (429, 5xx). Exit 75: try again later. */
export class BatchServiceUnavailable extends TemporaryFailure {
  override name = 'BatchServiceUnavailable';
  override readonly code: string = 'batch_unavailable';
}
