/**
 * vision_encoder: pixel_values [num_patches, 1176] + grid [num_images, 3] → image_features [num_patches / 4, hidden].
 * Each run of 4 consecutive patch rows (one 2×2 merge window) becomes one output row, like the real patch merger,
 * so several images in one call simply concatenate.
 */
import { DataType, GraphBuilder, type DataTypeId } from './onnx-builder.js';
import { linear, silu } from './ops.js';
import type { TinySpec } from './spec.js';

export const PATCH_DIM = 3 * 2 * 14 * 14;
const MERGE = 4;

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
  // The grid carries no information here, but the graph must consume it or ORT drops the input.
  const gridSum = g.node('ReduceSum', [g.node('Cast', [grid], { to: floatType })], { keepdims: 0 });
  const features = g.node('Add', [merged, g.node('Mul', [gridSum, g.floatConst([0], [])])]);
  g.output(features, 'image_features', floatType, ['num_image_tokens', spec.hidden]);
  return g;
}
