/** Writes a complete tiny model directory in the onnx-community layout. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generationConfig, modelConfig, preprocessorConfig } from './configs.js';
import { buildDecoder } from './decoder-graph.js';
import { buildEmbedTokens } from './embed-graph.js';
import { DataType, type DataTypeId, type GraphBuilder } from './onnx-builder.js';
import { resolveSpec, type GraphName, type TinyModelOptions, type TinySpec } from './spec.js';
import { glmChatTemplate, qwenChatTemplate } from './templates.js';
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

/** The chat template's own file, if it has one, and the chat_template value tokenizer_config.json carries. */
function chatTemplatePlacement(spec: TinySpec): { file?: [string, string]; inConfig?: unknown } {
  const template = spec.family === 'qwen2_vl' ? qwenChatTemplate() : glmChatTemplate(spec.modelType);
  switch (spec.chatTemplateIn) {
    case 'tokenizer_config':
      return { inConfig: template };
    case 'tokenizer_config_list':
      // transformers' form for several templates: the one named "default" is the chat template.
      return { inConfig: [{ name: 'tool_use', template: '{{ raise_exception("tools are not supported") }}' }, { name: 'default', template }] };
    case 'chat_template.jinja':
      return { file: ['chat_template.jinja', template] };
    case 'chat_template.json':
      return { file: ['chat_template.json', `${JSON.stringify({ chat_template: template }, null, 2)}\n`] };
  }
}

/** The files `generateTinyModel` writes for these options, relative to `outDir`. */
export function tinyModelFiles(options: TinyModelOptions): string[] {
  const spec = resolveSpec(options);
  const files = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
  const { file } = chatTemplatePlacement(spec);
  if (file) files.push(file[0]);
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
  const template = chatTemplatePlacement(spec);
  await writeJson(join(out, 'tokenizer_config.json'), tokenizerConfig(spec, template.inConfig));
  if (template.file) await writeFile(join(out, template.file[0]), template.file[1]);

  for (const suffix of spec.suffixes) {
    const floatType = suffix === '_fp16' ? DataType.FLOAT16 : DataType.FLOAT;
    for (const [name, build] of Object.entries(GRAPHS) as Array<[GraphName, (typeof GRAPHS)[GraphName]]>) {
      await build(spec, floatType).save(join(out, 'onnx', `${name}${suffix}.onnx`), {
        externalData: spec.externalData.includes(name),
      });
    }
  }
}
