/**
 * vision_encoder: pixel_values [num_patches, 1176] + grid [num_images, 3] → image_features [num_patches / 4, hidden].
 * Each run of 4 consecutive patch rows (one 2×2 merge window) becomes one output row, like the real patch merger,
 * so several images in one call simply concatenate.
 *
 * Like the real encoder's 2-D rotary positions, each output row also gets a term from its place in its image:
 * the grid says which image a row belongs to (by the cumulative token counts) and where in that image it lies
 * (row and column of its merge window, from the image's width). A wrong, transposed or reordered grid therefore
 * changes the features, while an image's features still depend on nothing but its own patches and grid row.
 */
import { DataType, GraphBuilder, type DataTypeId } from './onnx-builder.js';
import { linear, silu } from './ops.js';
import { randomNormal } from './rng.js';
import type { TinySpec } from './spec.js';

export const PATCH_DIM = 3 * 2 * 14 * 14;
const MERGE = 4;

/** row / column of each output row's merge window inside its own image, as float32 [rows, 1] columns. */
function windowPositions(g: GraphBuilder, grid: string, rows: string, oneImage: boolean): { y: string; x: string } {
  // An export that takes one image per call: its grid must be [1, 3], so a second image fails the run.
  const checked = oneImage ? g.node('Reshape', [grid, g.int64([1, 3])]) : grid;
  const [t, h, w] = [0, 1, 2].map((i) => g.node('Gather', [checked, g.int64([i], [])], { axis: 1 })) as [string, string, string];
  const tokens = g.node('Div', [g.node('Mul', [g.node('Mul', [t, h]), w]), g.int64([MERGE], [])]);
  const ends = g.node('CumSum', [tokens, g.int64([0], [])]);
  const starts = g.node('Sub', [ends, tokens]);
  const r = g.node('Range', [g.int64([0], []), rows, g.int64([1], [])]);
  // image of row r = how many images end at or before r
  const before = g.node('Less', [
    g.node('Unsqueeze', [ends, g.int64([0])]),
    g.node('Unsqueeze', [g.node('Add', [r, g.int64([1], [])]), g.int64([1])]),
  ]);
  const image = g.node('ReduceSum', [g.node('Cast', [before], { to: DataType.INT64 }), g.int64([1])], { keepdims: 0 });
  const local = g.node('Sub', [r, g.node('Gather', [starts, image], { axis: 0 })]);
  const windowsPerRow = g.node('Div', [g.node('Gather', [w, image], { axis: 0 }), g.int64([2], [])]);
  const asColumn = (v: string): string => g.node('Unsqueeze', [g.node('Cast', [v], { to: DataType.FLOAT }), g.int64([1])]);
  return {
    y: asColumn(g.node('Div', [local, windowsPerRow])),
    x: asColumn(g.node('Mod', [local, windowsPerRow], { fmod: 0 })),
  };
}

export function buildVisionEncoder(spec: TinySpec, floatType: DataTypeId): GraphBuilder {
  const g = new GraphBuilder('vision_encoder', floatType);
  const src = { seed: spec.seed };
  const d = spec.visionHidden;
  const pixels = g.input('pixel_values', floatType, ['num_patches', PATCH_DIM]);
  const grid = g.input(spec.gridInputName, DataType.INT64, ['num_images', 3]);

  const embedded = g.scope('patch_embed', () =>
    silu(g, linear(g, src, pixels, 'visual.patch_embed.proj', PATCH_DIM, d, { bias: true })),
  );
  const merged = g.scope('merger', () => {
    const windows = g.node('Reshape', [embedded, g.int64([-1, MERGE * d])]);
    const h = silu(g, linear(g, src, windows, 'visual.merger.mlp.0', MERGE * d, MERGE * d, { bias: true }));
    return linear(g, src, h, 'visual.merger.mlp.2', MERGE * d, spec.hidden, { bias: true });
  });
  const positions = g.scope('rotary_pos_emb', () => {
    const rows = g.node('Gather', [g.node('Shape', [merged]), g.int64([0], [])], { axis: 0 });
    const { y, x } = windowPositions(g, grid, rows, spec.visionOneImagePerCall);
    const freq = (name: string): string =>
      g.float32(`visual.rotary_pos_emb.${name}`, [1, spec.hidden], randomNormal(spec.seed, `visual.rotary_pos_emb.${name}`, spec.hidden, 0.5, 1));
    const term = g.node('Add', [g.node('Sin', [g.node('Mul', [y, freq('row_freq')])]), g.node('Cos', [g.node('Mul', [x, freq('col_freq')])])]);
    return floatType === DataType.FLOAT ? term : g.node('Cast', [term], { to: floatType });
  });
  g.output(g.node('Add', [merged, positions]), 'image_features', floatType, ['num_image_tokens', spec.hidden]);
  return g;
}
