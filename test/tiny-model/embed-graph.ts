/** embed_tokens: input_ids int64 [B, S] → inputs_embeds [B, S, hidden]. */
import { DataType, GraphBuilder, type DataTypeId } from './onnx-builder.js';
import { randomNormal } from './rng.js';
import type { TinySpec } from './spec.js';

export const EMBED_STD = 0.25;

const tables = new WeakMap<TinySpec, Float32Array>();

/** The embedding table, shared with the decoder's lm_head when the config ties them (drawn once per spec). */
export function embeddingTable(spec: TinySpec): Float32Array {
  let table = tables.get(spec);
  if (!table) {
    table = randomNormal(spec.seed, 'model.embed_tokens.weight', spec.vocab * spec.hidden, EMBED_STD);
    tables.set(spec, table);
  }
  return table;
}

export function buildEmbedTokens(spec: TinySpec, floatType: DataTypeId): GraphBuilder {
  const g = new GraphBuilder('embed_tokens', floatType);
  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const table = g.weight('model.embed_tokens.weight', [spec.vocab, spec.hidden], embeddingTable(spec));
  const embeds = g.node('Gather', [table, ids], { axis: 0 });
  g.output(embeds, 'inputs_embeds', floatType, ['batch_size', 'sequence_length', spec.hidden]);
  return g;
}
