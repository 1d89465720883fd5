// 3-D M-RoPE position ids (temporal, height, width) for one prompt row: the
// get_rope_index of transformers' Qwen2-VL and GLM-4V models, images only.
import type { Family } from './vision-config.js';

export interface RopeOptions {
  family: Family;
  imageTokenId: number;
  /** Qwen only: an image block is the run of image tokens right after this token. */
  visionStartTokenId?: number;
  mergeSize: number;
}

export interface RopePositions {
  t: number[];
  h: number[];
  w: number[];
  /** max position + 1 − length: a decode step's position is past_len + delta on all 3 axes */
  delta: number;
}

interface Block {
  start: number;
  length: number;
}

/** Runs of the image token, checked against the family's block markers. */
function imageBlocks(ids: readonly number[], options: RopeOptions): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== options.imageTokenId) continue;
    const start = i;
    while (i + 1 < ids.length && ids[i + 1] === options.imageTokenId) i++;
    blocks.push({ start, length: i - start + 1 });
  }
  if (options.family === 'qwen2_vl') {
    if (options.visionStartTokenId === undefined) {
      throw new Error('M-RoPE positions for qwen2_vl need the vision start token id');
    }
    for (const b of blocks) {
      if (ids[b.start - 1] !== options.visionStartTokenId) {
        throw new Error(
          `image tokens at position ${b.start} do not follow the vision start token ${options.visionStartTokenId}`,
        );
      }
    }
  }
  return blocks;
}

/**
 * Positions for one unpadded row. `grids` are [t, h, w] in patches, one per
 * image in prompt order; each image block must hold t·(h/merge)·(w/merge) tokens.
 */
export function ropePositions(
  ids: readonly number[],
  grids: readonly (readonly [number, number, number])[],
  options: RopeOptions,
): RopePositions {
  const m = options.mergeSize;
  const blocks = imageBlocks(ids, options);
  if (blocks.length !== grids.length) {
    throw new Error(`the prompt has ${blocks.length} image block(s) but ${grids.length} image grid(s) were given`);
  }
  const n = ids.length;
  const t = new Array<number>(n);
  const h = new Array<number>(n);
  const w = new Array<number>(n);
  let pos = 0; // the next text position
  let i = 0;
  for (let k = 0; k <= blocks.length; k++) {
    const block = blocks[k];
    const textEnd = block ? block.start : n;
    for (; i < textEnd; i++) t[i] = h[i] = w[i] = pos++;
    if (!block) break;

    const grid = grids[k]!;
    const [gt, gh, gw] = grid;
    if (![gt, gh, gw].every((v) => Number.isInteger(v) && v > 0) || gh % m !== 0 || gw % m !== 0) {
      throw new Error(`image grid ${k + 1} [${grid.join(', ')}] is not positive integers with h and w divisible by ${m}`);
    }
    const lh = gh / m;
    const lw = gw / m;
    const size = gt * lh * lw;
    if (block.length !== size) {
      throw new Error(
        `image block ${k + 1} at position ${block.start} has ${block.length} image tokens but its grid [${grid.join(', ')}] needs ${size}`,
      );
    }
    const s = pos;
    for (let j = 0; j < size; j++, i++) {
      t[i] = s + Math.floor(j / (lh * lw));
      h[i] = s + (Math.floor(j / lw) % lh);
      w[i] = s + (j % lw);
    }
    // Text resumes one past the block's largest position on any axis.
    pos = s + Math.max(gt, lh, lw);
  }
  return { t, h, w, delta: pos - n };
}
