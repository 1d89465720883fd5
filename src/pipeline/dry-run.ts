// `catalog --dry-run`: what a run would do, found without sending a request or writing anything.
// The cache is only read (the caller opens it read-only); files the cache does not know by their
// stamp are read and hashed, documents are opened to count their pages, images' headers are read
// for their size. Prompt tokens are an estimate: image tokens by the resize rule, text by length.
import { readFile } from 'node:fs/promises';
import type { Template } from '../prompt/template.js';
import { renderPrompt, type Lang } from '../prompt/render.js';
import { fitToBudget, loadSharp, PATCH_FACTOR } from '../image/preprocess.js';
import { Documents, type PageOptions } from '../pages/document.js';
import { selectPages } from '../pages/select.js';
import type { JobCache } from './job-cache.js';
import { sha256 } from './hash.js';
import type { FileEntry } from './walk.js';

export interface DryRunJob {
  files: AsyncIterable<FileEntry[]>;
  template: Template;
  lang: Lang;
  variables: Record<string, string>;
  pages: PageOptions;
  maxPixels: number;
}

export interface DryRunPlan {
  files: number;
  /** Rows (images and pages) the cache answers. */
  cached: number;
  /** Pages of PDFs and multi-page TIFFs selected. */
  pages: number;
  /** Requests a run would send (identical images once). */
  requests: number;
  /** Files or pages a run would fail on before asking (unreadable, over --max-pages, remembered failures). */
  failing: number;
  /** Estimated prompt tokens of those requests: image tokens plus the prompt's text. */
  promptTokens: number;
}

/** One visual token per 28×28 block of the resized image (2×2 merged 14 px patches). */
export function imageTokens(width: number, height: number, maxPixels: number): number {
  const fit = fitToBudget(width, height, maxPixels);
  return Math.max(1, Math.round(fit.width / PATCH_FACTOR)) * Math.max(1, Math.round(fit.height / PATCH_FACTOR));
}

/** A rough count for a prompt's text: a CJK character is about a token, other text about four characters a token. */
export function textTokens(text: string): number {
  const cjk = text.match(/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/g)?.length ?? 0;
  return cjk + Math.ceil((text.length - cjk) / 4);
}

export async function planRun(job: DryRunJob, cache: JobCache): Promise<DryRunPlan> {
  const plan: DryRunPlan = { files: 0, cached: 0, pages: 0, requests: 0, failing: 0, promptTokens: 0 };
  const asked = new Set<string>();
  const documents = new Documents(job.pages);
  const system = job.template.system ? textTokens(job.template.system) : 0;
  const promptTokens = (file: FileEntry): number => system + textTokens(renderPrompt(job.template, file, job.lang, job.variables, { page_text: '' }));
  const ask = (key: string, tokens: number): void => {
    if (cache.answer(key)) {
      plan.cached++;
    } else if (!asked.has(key)) {
      asked.add(key);
      plan.requests++;
      plan.promptTokens += tokens;
    }
  };
  try {
    for await (const batch of job.files) {
      const hits = cache.lookupMany(batch);
      for (const [i, file] of batch.entries()) {
        plan.files++;
        if (hits[i]) {
          plan.cached++;
          continue;
        }
        let data: Buffer;
        try {
          data = await readFile(file.fsPath ?? file.path);
        } catch {
          plan.failing++;
          continue;
        }
        const sha = cache.knownHash(file) ?? sha256(data);
        const detected = await documents.detect(data, file.path).catch(() => null);
        if (detected === null) {
          plan.failing++;
          continue;
        }
        if (detected === undefined) {
          const size = await loadSharp().then((sharp) => sharp(data).metadata()).catch(() => undefined);
          if (size?.width === undefined || size.height === undefined) {
            plan.failing++;
            continue;
          }
          // EXIF orientations 5–8 turn the image a quarter.
          const turned = (size.orientation ?? 1) >= 5;
          const [w, h] = turned ? [size.height, size.width] : [size.width, size.height];
          ask(sha, imageTokens(w, h, job.maxPixels) + promptTokens(file));
          continue;
        }
        const { kind } = detected;
        let count = cache.documentPages(sha);
        if (count === undefined) {
          const doc = await documents.open(data, detected).catch(() => undefined);
          count = doc?.pages;
          await doc?.close();
        }
        if (count === undefined || cache.knownFailure(sha, kind, 0) !== undefined) {
          plan.failing++;
          continue;
        }
        const selected = selectPages(job.pages.pages, count);
        if (selected.length === 0 || selected.length > job.pages.maxPages) {
          plan.failing++;
          continue;
        }
        for (const page of selected) {
          plan.pages++;
          const known = cache.knownPage(sha, kind, page);
          if (known?.answer) {
            plan.cached++;
          } else if (cache.knownFailure(sha, kind, page) !== undefined) {
            plan.failing++;
          } else {
            // A page not rendered before is counted at the budget: at --dpi, most pages are larger.
            const tokens = known ? imageTokens(known.record.width, known.record.height, job.maxPixels) : Math.floor(job.maxPixels / PATCH_FACTOR ** 2);
            ask(known?.key ?? `${sha}:${page}`, tokens + promptTokens(file));
          }
        }
      }
    }
  } finally {
    await documents.close();
  }
  return plan;
}
