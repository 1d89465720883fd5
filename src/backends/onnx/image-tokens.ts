// A prompt's image placeholders, expanded to each image's token count.
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';

/** Each image token (one per image, in order) becomes tokensPerImage[i] copies of itself. */
export function expandImageTokens(ids: readonly number[], tokensPerImage: readonly number[], imageTokenId: number): number[] {
  let found = 0;
  let extra = 0;
  for (const id of ids) {
    if (id === imageTokenId) {
      const n = tokensPerImage[found];
      if (n !== undefined) {
        if (!Number.isInteger(n) || n < 1) throw new Error(`image ${found} has an invalid token count ${n}`);
        extra += n - 1;
      }
      found++;
    }
  }
  if (found !== tokensPerImage.length) {
    throw new UsageError(t('engine:prompt.placeholders', { found, images: tokensPerImage.length }));
  }
  const out = new Array<number>(ids.length + extra);
  let at = 0;
  let image = 0;
  for (const id of ids) {
    if (id === imageTokenId) {
      const n = tokensPerImage[image++] ?? 1;
      out.fill(id, at, at + n);
      at += n;
    } else {
      out[at++] = id;
    }
  }
  return out;
}
