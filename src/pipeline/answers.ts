// The answer for one image (a file or a page) under its cache key: from the
// cache, from an identical image already in flight, or from the model. Each
// image holds a staged permit until the model has it, so no more images are
// decoded ahead of the model than the run allows.
import type { ValidateFunction } from 'ajv';
import type { Backend, GenerationParams, ImageInput, InferRequest, SourceInfo } from '../backends/backend.js';
import type { CachedResult } from '../cache/store.js';
import type { Template } from '../prompt/template.js';
import { FileFailure } from '../support/errors.js';
import { ask, type Answer } from './answer.js';
import type { JobCache } from './job-cache.js';
import type { RunStats } from './metrics.js';
import type { RunControl } from './run-control.js';

export interface Answered {
  result: CachedResult;
  cached: boolean;
  /** A fresh answer, already parsed. */
  answer?: Answer;
}

export interface ImageToAsk {
  /** The cache key: a file's sha256, or a page's identity. */
  key: string;
  input: ImageInput;
  prompt: string;
  /** Gives the staged permit back; called once the image is with the model (or shares another's answer). */
  release: () => void;
  /** What the backend found out preparing it (size, format), for the cache's image record. */
  remember: (source: SourceInfo) => void;
}

/**
 * Who answers an image the cache does not: by default the backend (ask); `batch export` writes the
 * request to a batch file instead. `key` is the image's cache key.
 */
export type Asker = (key: string, request: InferRequest, signal: AbortSignal) => Promise<Answer>;

export class Answers {
  private readonly inflight = new Map<string, Promise<Answer>>();
  private calls = 0;
  /** The backend's infer, counted: a malformed answer is asked twice. */
  private readonly counted: Pick<Backend, 'infer'> = {
    infer: (request, signal) => {
      this.calls++;
      return this.backend.infer(request, signal);
    },
  };

  constructor(
    private readonly backend: Backend,
    private readonly cache: JobCache,
    private readonly control: RunControl,
    private readonly template: Template,
    private readonly generation: GenerationParams,
    private readonly validate: ValidateFunction | undefined,
    private readonly stats: RunStats,
    private readonly asker: Asker = (_key, request, signal) => ask(this.counted, request, this.validate, this.template.name, signal),
  ) {}

  /** Inference calls made, for the metrics when the backend does not count its own. */
  get requests(): number {
    return this.calls;
  }

  async get(image: ImageToAsk): Promise<Answered> {
    const { backend, cache, control } = this;
    const step = await control.prepare.add(async () => {
      const hit = cache.answer(image.key);
      if (hit) return { kind: 'cached' as const, hit };
      const shared = this.inflight.get(image.key);
      if (shared) return { kind: 'shared' as const, shared };
      let settle!: { resolve: (a: Answer) => void; reject: (e: unknown) => void };
      const promise = new Promise<Answer>((resolve, reject) => (settle = { resolve, reject }));
      promise.catch(() => undefined);
      this.inflight.set(image.key, promise);
      try {
        const prepared = await backend.prepare(image.input);
        image.remember(prepared.source);
        return { kind: 'fresh' as const, prepared, settle };
      } catch (error) {
        this.inflight.delete(image.key);
        settle.reject(error);
        throw error;
      }
    });
    if (step.kind === 'cached') return { result: step.hit, cached: true };
    if (step.kind === 'shared') {
      image.release();
      return { result: await step.shared, cached: true };
    }
    const { prepared, settle } = step;
    const { template } = this;
    try {
      const request: InferRequest = {
        image: prepared.image, system: template.system, prompt: image.prompt, generation: this.generation,
        schema: template.schema, schemaName: template.name,
      };
      const answer = await control.infer.add(() => {
        image.release();
        return this.asker(image.key, request, control.signal);
      }, { signal: control.signal });
      cache.saveAnswer(image.key, answer);
      this.stats.tokensIn += answer.tokensIn ?? 0;
      this.stats.tokensOut += answer.tokensOut ?? 0;
      settle.resolve(answer);
      return { result: answer, cached: false, answer };
    } catch (error) {
      settle.reject(error);
      // Not this file's fault (wrong settings, servers gone): stop queued requests before p-queue starts the next.
      if (!(error instanceof FileFailure)) control.abortWork(error);
      throw error;
    } finally {
      this.inflight.delete(image.key);
      backend.release?.(prepared.image);
    }
  }
}
