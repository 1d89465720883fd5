/** Layer helpers shared by the three graphs. Weights are N(0, std²) drawn from a per-name stream. */
import type { GraphBuilder } from './onnx-builder.js';
import { randomNormal } from './rng.js';

export interface WeightSource {
  seed: number;
}

/** `x @ W (+ b)` with W stored [in, out] so no Transpose is needed. */
export function linear(
  g: GraphBuilder,
  src: WeightSource,
  x: string,
  name: string,
  inDim: number,
  outDim: number,
  opts: { std?: number; bias?: boolean } = {},
): string {
  const std = opts.std ?? 1 / Math.sqrt(inDim);
  const w = g.weight(`${name}.weight`, [inDim, outDim], randomNormal(src.seed, `${name}.weight`, inDim * outDim, std));
  const y = g.node('MatMul', [x, w]);
  if (!opts.bias) return y;
  const b = g.weight(`${name}.bias`, [outDim], randomNormal(src.seed, `${name}.bias`, outDim, 0.02));
  return g.node('Add', [y, b]);
}

/** RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · w. */
export function rmsNorm(g: GraphBuilder, src: WeightSource, x: string, name: string, dim: number, eps: number): string {
  const w = g.weight(`${name}.weight`, [dim], randomNormal(src.seed, `${name}.weight`, dim, 0.1, 1));
  const sq = g.node('Mul', [x, x]);
  const mean = g.node('ReduceMean', [sq], { axes: [-1], keepdims: 1 });
  const rms = g.node('Sqrt', [g.node('Add', [mean, g.floatConst([eps], [])])]);
  return g.node('Mul', [g.node('Div', [x, rms]), w]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.node('Mul', [x, g.node('Sigmoid', [x])]);
}
