// The contract every inference backend fulfils. The pipeline submits one
// request per image; a backend may queue, batch or spread them as it likes.

/** An image oriented, resized and re-encoded for a server. */
export interface EncodedImage {
  kind: 'encoded';
  data: Buffer;
  mime: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

/**
 * An image as a vision encoder takes it: normalised patches in merge-window
 * order. The patches themselves (megabytes of floats) stay with the backend,
 * off the main thread; this is the handle and shape.
 */
export interface PatchImage {
  kind: 'patches';
  /** The backend's handle for the patch array. */
  ref: number;
  numPatches: number;
  patchDim: number;
  /** [t, h, w] in patches. */
  grid: [number, number, number];
  /** Image placeholder tokens it costs in the prompt. */
  tokens: number;
  width: number;
  height: number;
}

export type PreparedImage = EncodedImage | PatchImage;

/** Decoded pixels, 8 bits per channel: a rendered PDF page or a TIFF page. */
export interface RawImage {
  kind: 'raw';
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  /** What the pixels came from, for the catalog's format column ('pdf', 'tiff'). */
  format: string;
}

/** What a backend prepares: a file's bytes, or pixels already decoded. */
export type ImageInput = Buffer | RawImage;

/** The original image's facts, for the catalog. */
export interface SourceInfo {
  /** Display size (after EXIF orientation). */
  width: number;
  height: number;
  format: string;
}

export interface Prepared {
  source: SourceInfo;
  image: PreparedImage;
}

export interface GenerationParams {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
}

/** A JSON Schema object (draft 2020-12 subset that servers accept). */
export type JsonSchema = Record<string, unknown>;

export interface InferRequest {
  image: PreparedImage;
  /** System prompt, if the template has one. */
  system?: string;
  /** The rendered user prompt. */
  prompt: string;
  generation: GenerationParams;
  /** Present for json templates: asks the server for structured output. */
  schema?: JsonSchema;
  /** Name used for response_format.json_schema.name. */
  schemaName?: string;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

export interface InferResult {
  /** The answer text (content; falls back to the reasoning field when content is empty). */
  text: string;
  /** The reasoning/thinking text, when a server sent one. */
  reasoning?: string;
  finishReason: FinishReason;
  tokensIn?: number;
  tokensOut?: number;
  /** The model name the server reported, else the one requested. */
  model: string;
}

export interface BackendStats {
  /** HTTP requests sent for answers, retries included. */
  requests: number;
  /** Of those, how many were retries of an earlier attempt. */
  retries: number;
}

/** Where --concurrency auto left one endpoint, for the summary and --metrics-file. */
export interface EndpointLevel {
  /** The endpoint as shown to users. */
  endpoint: string;
  /** Requests in flight it allowed at the end of the run, and at most. */
  level: number;
  peak: number;
  /** What set it: the server's /metrics, or answers per second. */
  source: 'metrics' | 'throughput';
  /** The cap that 429s, 503s or timeouts set, if any did. */
  ceiling?: number;
}

export interface Backend {
  /** Decodes and shapes one image the way this backend's model takes it; a file that cannot be read rejects with a FileFailure. */
  prepare(input: ImageInput): Promise<Prepared>;
  /** 'openai' or 'onnx'. */
  readonly kind: string;
  /** How many requests the pipeline should keep in flight (now: under --concurrency auto it changes). */
  readonly concurrency: number;
  /** The most `concurrency` can become (windows and buffers are sized for it); absent: it never changes. */
  readonly maxConcurrency?: number;
  /** Calls `listener` with the new `concurrency` whenever it changes (--concurrency auto). */
  onConcurrency?(listener: (concurrency: number) => void): void;
  /** Under --concurrency auto: the level each endpoint reached. */
  levels?(): EndpointLevel[];
  /** Everything about this backend that changes answers (model, preprocessing…), for the job fingerprint. */
  fingerprint(): Record<string, unknown>;
  /**
   * Runs one request. Retries transient faults internally (openai: the policy in
   * support/retry-policy.ts), then rejects with (classes of support/errors.ts):
   * - a FileFailure: this file only fails, the run goes on (openai: an
   *   OpenAIBackendError such as RateLimitError once retries run out, or a 4xx
   *   such as BadRequestError; onnx: the model failed on this image);
   * - a UsageError: the settings are wrong and every file would fail, so the run
   *   stops, exit 2 (openai: ConfigurationError, e.g. a rejected key or an unknown
   *   model; onnx: the model folder or --device cannot be loaded);
   * - a TemporaryFailure: stop the run, exit 75 (openai: every endpoint is
   *   unreachable, or the backend was closed; onnx: the model worker crashed);
   * - the signal's reason, once it is aborted.
   * Anything else is a bug (exit 70): onnx's "the model failed to load" is one.
   */
  infer(request: InferRequest, signal: AbortSignal): Promise<InferResult>;
  /** The pipeline is done with a prepared image (answered, failed or abandoned): its memory can go. */
  release?(image: PreparedImage): void;
  /** What the backend did on the wire so far, for the run's metrics (servers only). */
  stats?(): BackendStats;
  close(): Promise<void>;
}
