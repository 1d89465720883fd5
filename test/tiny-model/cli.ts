/**
 * npm run tiny-model -- --family qwen2_vl|glm --out DIR [--layers N] [--hidden N] [--vocab N] [--heads N]
 *   [--kv-heads N] [--seed N] [--dtypes "",fp16] [--no-logits-to-keep] [--model-type glm4v|glm_ocr|glm46v]
 *   [--preprocessor-layout saved|original|size-edges] [--chat-template-in PLACE] [--vision-one-image-per-call]
 */
import { parseArgs } from 'node:util';
import { generateTinyModel, tinyModelFiles } from './generate.js';
import type { ChatTemplatePlace, Family, ModelType, PreprocessorLayout, TinyModelOptions } from './spec.js';

const USAGE =
  'usage: npm run tiny-model -- --family qwen2_vl|glm --out DIR [--layers N] [--hidden N] [--vocab N] ' +
  '[--heads N] [--kv-heads N] [--seed N] [--dtypes "",fp16] [--no-logits-to-keep] [--model-type glm4v|glm_ocr|glm46v] ' +
  '[--preprocessor-layout saved|original|size-edges] ' +
  '[--chat-template-in tokenizer_config|tokenizer_config_list|chat_template.jinja|chat_template.json] [--vision-one-image-per-call]';

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} expects an integer, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      family: { type: 'string' },
      out: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      vocab: { type: 'string' },
      heads: { type: 'string' },
      'kv-heads': { type: 'string' },
      seed: { type: 'string' },
      dtypes: { type: 'string' },
      'no-logits-to-keep': { type: 'boolean' },
      'model-type': { type: 'string' },
      'preprocessor-layout': { type: 'string' },
      'chat-template-in': { type: 'string' },
      'vision-one-image-per-call': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.family || !values.out) throw new Error(`--family and --out are required\n${USAGE}`);
  const options: TinyModelOptions = {
    family: values.family as Family,
    outDir: values.out,
    modelType: values['model-type'] as ModelType | undefined,
    layers: int('layers', values.layers),
    hidden: int('hidden', values.hidden),
    vocab: int('vocab', values.vocab),
    heads: int('heads', values.heads),
    kvHeads: int('kv-heads', values['kv-heads']),
    seed: int('seed', values.seed),
    dtypes: values.dtypes === undefined ? undefined : values.dtypes.split(','),
    logitsToKeep: !values['no-logits-to-keep'],
    preprocessorLayout: values['preprocessor-layout'] as PreprocessorLayout | undefined,
    chatTemplateIn: values['chat-template-in'] as ChatTemplatePlace | undefined,
    visionOneImagePerCall: values['vision-one-image-per-call'],
  };
  const started = Date.now();
  await generateTinyModel(options);
  console.log(`wrote ${values.out} in ${Date.now() - started} ms:`);
  for (const f of tinyModelFiles(options)) console.log(`  ${f}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
