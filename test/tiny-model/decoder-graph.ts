/**
 * decoder_model_merged: a real (tiny) transformer with a KV cache, M-RoPE and a causal + padding mask,
 * so that batching and cache handling can be checked against single-row, uncached runs.
 */
import { DataType, GraphBuilder, type DataTypeId } from './onnx-builder.js';
import { linear, rmsNorm, silu } from './ops.js';
import { randomNormal } from './rng.js';
import { embeddingTable } from './embed-graph.js';
import type { TinySpec } from './spec.js';

const INT64_MAX = 9223372036854775807n;

/**
 * Angle table [3, head_dim]: row a holds, for every head dim, the inverse frequency when that dim's frequency
 * belongs to position axis a (t, h, w by mrope_section), else 0. Dims past the rotary part stay 0, so cos = 1
 * and sin = 0 there (partial rotary).
 */
export function mropeFrequencyTable(spec: TinySpec): Float32Array {
  const { headDim, rotaryDim, ropeTheta, mropeSection } = spec;
  const half = rotaryDim / 2;
  const table = new Float32Array(3 * headDim);
  const sectionOf = (p: number): number => (p < mropeSection[0] ? 0 : p < mropeSection[0] + mropeSection[1] ? 1 : 2);
  for (let j = 0; j < rotaryDim; j++) {
    const p = spec.ropeStyle === 'half' ? j % half : Math.floor(j / 2);
    table[sectionOf(p) * headDim + j] = ropeTheta ** ((-2 * p) / rotaryDim);
  }
  return table;
}

/** [head_dim, head_dim] matrix R with x·R = rotate_half(x) (Qwen) or the pairwise rotation (GLM). */
function rotationMatrix(spec: TinySpec): Float32Array {
  const { headDim: hd, rotaryDim: rot } = spec;
  const r = new Float32Array(hd * hd);
  const set = (from: number, to: number, v: number): void => {
    r[from * hd + to] = v;
  };
  if (spec.ropeStyle === 'half') {
    const half = rot / 2;
    for (let i = 0; i < half; i++) {
      set(i + half, i, -1);
      set(i, i + half, 1);
    }
  } else {
    for (let p = 0; p < rot / 2; p++) {
      set(2 * p + 1, 2 * p, -1);
      set(2 * p, 2 * p + 1, 1);
    }
  }
  return r;
}

export function buildDecoder(spec: TinySpec, floatType: DataTypeId): GraphBuilder {
  const g = new GraphBuilder('decoder_model_merged', floatType);
  const src = { seed: spec.seed };
  const { hidden: H, heads: nH, kvHeads: nKV, headDim: hd, vocab: V } = spec;
  const eps = spec.rmsNormEps;
  const minValue = floatType === DataType.FLOAT16 ? -65504 : -3.4028234663852886e38;

  let x = g.input('inputs_embeds', floatType, ['batch_size', 'sequence_length', H]);
  const mask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', DataType.INT64, [3, 'batch_size', 'sequence_length']);
  const pastDims = ['batch_size', nKV, 'past_sequence_length', hd];
  const past = Array.from({ length: spec.layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, floatType, pastDims),
    value: g.input(`past_key_values.${i}.value`, floatType, pastDims),
  }));
  const keep = spec.logitsToKeep ? g.input('num_logits_to_keep', DataType.INT64, []) : null;

  // Mask [B, 1, S, T]: key j is visible to new token i when j <= past + i and attention_mask[b, j] == 1.
  const allowed = g.scope('model/attn_mask', () => {
    const at1 = g.int64([1], []);
    const seqLen = g.node('Gather', [g.node('Shape', [x]), at1], { axis: 0 });
    const total = g.node('Gather', [g.node('Shape', [mask]), at1], { axis: 0 });
    const pastLen = g.node('Sub', [total, seqLen]);
    const step = g.int64([1], []);
    const queryPos = g.node('Range', [pastLen, total, step]);
    const keyPos = g.node('Range', [g.int64([0], []), total, step]);
    const causal = g.node('LessOrEqual', [
      g.node('Unsqueeze', [keyPos, g.int64([0])]),
      g.node('Unsqueeze', [queryPos, g.int64([1])]),
    ]);
    const padding = g.node('Unsqueeze', [g.node('Cast', [mask], { to: DataType.BOOL }), g.int64([1, 2])]);
    const visible = g.node('And', [causal, padding]);
    g.annotate(visible, DataType.BOOL, ['batch_size', 1, 'sequence_length', 'total_sequence_length']);
    return visible;
  });

  // M-RoPE: each frequency takes its angle from the t, h or w row of position_ids.
  const rope = g.scope('model/rotary_emb', () => {
    const pos = g.node('Unsqueeze', [g.node('Cast', [positions], { to: DataType.FLOAT }), g.int64([3])]);
    const table = g.float32('model.rotary_emb.mrope_table', [3, 1, 1, hd], mropeFrequencyTable(spec));
    const angles = g.node('ReduceSum', [g.node('Mul', [pos, table]), g.int64([0])], { keepdims: 0 });
    const toFloat = (t: string): string =>
      floatType === DataType.FLOAT ? t : g.node('Cast', [t], { to: floatType });
    const cos = g.node('Unsqueeze', [toFloat(g.node('Cos', [angles])), g.int64([1])]);
    const sin = g.node('Unsqueeze', [toFloat(g.node('Sin', [angles])), g.int64([1])]);
    for (const t of [cos, sin]) g.annotate(t, floatType, ['batch_size', 1, 'sequence_length', hd]);
    return { cos, sin, rotate: g.weight('model.rotary_emb.rotation', [hd, hd], rotationMatrix(spec)) };
  });
  const applyRope = (t: string): string =>
    g.node('Add', [g.node('Mul', [t, rope.cos]), g.node('Mul', [g.node('MatMul', [t, rope.rotate]), rope.sin])]);

  const splitHeads = (t: string, n: number): string =>
    g.node('Transpose', [g.node('Reshape', [t, g.int64([0, 0, n, hd])])], { perm: [0, 2, 1, 3] });
  const repeatKv = (t: string): string => {
    if (nH === nKV) return t;
    const expanded = g.node('Expand', [g.node('Unsqueeze', [t, g.int64([2])]), g.int64([1, 1, nH / nKV, 1, 1])]);
    return g.node('Reshape', [expanded, g.int64([0, nH, -1, hd])]);
  };
  const presentDims = ['batch_size', nKV, 'total_sequence_length', hd];
  const presents: string[] = [];

  for (let i = 0; i < spec.layers; i++) {
    const p = `model.layers.${i}`;
    const layerPast = past[i];
    if (!layerPast) throw new Error('unreachable');
    x = g.scope(`model/layers.${i}`, () => {
      const attnOut = g.scope('self_attn', () => {
        const h = rmsNorm(g, src, x, `${p}.input_layernorm`, H, eps);
        const bias = spec.attentionBias;
        const q = applyRope(splitHeads(linear(g, src, h, `${p}.self_attn.q_proj`, H, nH * hd, { bias }), nH));
        const k = applyRope(splitHeads(linear(g, src, h, `${p}.self_attn.k_proj`, H, nKV * hd, { bias }), nKV));
        const v = splitHeads(linear(g, src, h, `${p}.self_attn.v_proj`, H, nKV * hd, { bias }), nKV);
        const keys = g.node('Concat', [layerPast.key, k], { axis: 2 }, `present.${i}.key`);
        const values = g.node('Concat', [layerPast.value, v], { axis: 2 }, `present.${i}.value`);
        presents.push(keys, values);
        const scaled = g.node('Mul', [q, g.floatConst([1 / Math.sqrt(hd)], [])]);
        const scores = g.node('MatMul', [scaled, g.node('Transpose', [repeatKv(keys)], { perm: [0, 1, 3, 2] })]);
        const probs = g.node('Softmax', [g.node('Where', [allowed, scores, g.floatConst([minValue], [])])], {
          axis: -1,
        });
        const ctx = g.node('MatMul', [probs, repeatKv(values)]);
        const merged = g.node('Reshape', [
          g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }),
          g.int64([0, 0, nH * hd]),
        ]);
        const o = linear(g, src, merged, `${p}.self_attn.o_proj`, nH * hd, H, { std: 0.5 / Math.sqrt(nH * hd) });
        return spec.sandwichNorms ? rmsNorm(g, src, o, `${p}.post_self_attn_layernorm`, H, eps) : o;
      });
      const afterAttn = g.node('Add', [x, attnOut]);
      const mlpOut = g.scope('mlp', () => {
        const h = rmsNorm(g, src, afterAttn, `${p}.post_attention_layernorm`, H, eps);
        const I = spec.intermediate;
        const gate = linear(g, src, h, `${p}.mlp.gate_proj`, H, I);
        const up = linear(g, src, h, `${p}.mlp.up_proj`, H, I);
        const down = linear(g, src, g.node('Mul', [silu(g, gate), up]), `${p}.mlp.down_proj`, I, H, {
          std: 0.5 / Math.sqrt(I),
        });
        return spec.sandwichNorms ? rmsNorm(g, src, down, `${p}.post_mlp_layernorm`, H, eps) : down;
      });
      return g.node('Add', [afterAttn, mlpOut]);
    });
  }

  if (keep) {
    // Last `num_logits_to_keep` positions; 0 keeps all, as in transformers.
    const start = g.node('Unsqueeze', [g.node('Neg', [keep]), g.int64([0])]);
    x = g.node('Slice', [x, start, g.int64([INT64_MAX]), g.int64([1])]);
  }
  const normed = rmsNorm(g, src, x, 'model.norm', H, eps);
  const lmHeadValues = spec.tieWordEmbeddings
    ? transpose(embeddingTable(spec), V, H)
    : randomNormal(spec.seed, 'lm_head.weight', H * V, 2 / Math.sqrt(H));
  const lmHead = g.weight('lm_head.weight', [H, V], lmHeadValues);
  const logits = g.node('MatMul', [normed, lmHead]);
  // Exports list logits first, then present.{i}.key / .value.
  g.output(logits, 'logits', floatType, ['batch_size', keep ? 'logits_length' : 'sequence_length', V]);
  for (const name of presents) g.output(name, name, floatType, presentDims);
  return g;
}

/** [rows, cols] → [cols, rows]. */
function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c] ?? 0;
  return out;
}
