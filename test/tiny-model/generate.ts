/** Writes a complete tiny model directory in the onnx-community layout. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generationConfig, modelConfig, preprocessorConfig } from './configs.js';
import { buildDecoder } from './decoder-graph.js';
import { buildEmbedTokens } from './embed-graph.js';
import { DataType, type DataTypeId, type GraphBuilder } from './onnx-builder.js';
import { resolveSpec, type GraphName, type TinyModelOptions, type TinySpec } from './spec.js';
import { glmChatTemplate } from './templates.js';
import { tokenizerConfig, tokenizerJson } from './tokenizer.js';
import { buildVisionEncoder } from './vision-graph.js';

const GRAPHS: Record<GraphName, (spec: TinySpec, floatType: DataTypeId) => GraphBuilder> = {
  vision_encoder: buildVisionEncoder,
  embed_tokens: buildEmbedTokens,
  decoder_model_merged: buildDecoder,
};

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The files `generateTinyModel` writes for these options, relative to `outDir`. */
export function tinyModelFiles(options: TinyModelOptions): string[] {
  const spec = resolveSpec(options);
  const files = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
  if (spec.family === 'glm') files.push('chat_template.jinja');
  for (const suffix of spec.suffixes) {
    for (const name of Object.keys(GRAPHS) as GraphName[]) {
      files.push(`onnx/${name}${suffix}.onnx`);
      if (spec.externalData.includes(name)) files.push(`onnx/${name}${suffix}.onnx_data`);
    }
  }
  return files.sort();
}

export async function generateTinyModel(options: TinyModelOptions): Promise<void> {
  const spec = resolveSpec(options);
  const out = options.outDir;
  await mkdir(join(out, 'onnx'), { recursive: true });
  await writeJson(join(out, 'config.json'), modelConfig(spec));
  await writeJson(join(out, 'generation_config.json'), generationConfig(spec));
  await writeJson(join(out, 'preprocessor_config.json'), preprocessorConfig(spec));
  await writeJson(join(out, 'tokenizer.json'), tokenizerJson(spec));
  await writeJson(join(out, 'tokenizer_config.json'), tokenizerConfig(spec));
  if (spec.family === 'glm') await writeFile(join(out, 'chat_template.jinja'), glmChatTemplate(spec.modelType));

  for (const suffix of spec.suffixes) {
    const floatType = suffix === '_fp16' ? DataType.FLOAT16 : DataType.FLOAT;
    for (const [name, build] of Object.entries(GRAPHS) as Array<[GraphName, (typeof GRAPHS)[GraphName]]>) {
      await build(spec, floatType).save(join(out, 'onnx', `${name}${suffix}.onnx`), {
        externalData: spec.externalData.includes(name),
      });
    }
  }
}
