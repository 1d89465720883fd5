// A local model folder in the transformers.js layout: which files a dtype
// needs, which family the config names, and the ids the engine must use.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../support/errors.js';
import { t } from '../i18n/index.js';

/** The model families the local engine runs. */
export type Family = 'qwen2_vl' | 'glm';

/** --dtype → file-name suffix of the public ONNX exports. */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q4: '_q4',
  q4f16: '_q4f16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  bnb4: '_bnb4',
} as const;
export type Dtype = keyof typeof DTYPE_SUFFIXES;
export const DTYPES = Object.keys(DTYPE_SUFFIXES) as Dtype[];

/** What --dtype auto tries, CPU-friendly variants first. */
const AUTO_ORDER: Dtype[] = ['q4', 'q8', 'int8', 'uint8', 'fp32', 'fp16', 'q4f16', 'bnb4'];

/** The decoder graph of a dtype, relative to the model folder. */
export function decoderPath(dtype: Dtype): string {
  return `onnx/decoder_model_merged${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** `dtype`, or for 'auto' the first variant whose decoder `has` (fp32 when none). */
export function chooseDtype(dtype: Dtype | 'auto', has: (relativePath: string) => boolean): Dtype {
  if (dtype !== 'auto') return dtype;
  return AUTO_ORDER.find((d) => has(decoderPath(d))) ?? 'fp32';
}

/** `dtype`, or for 'auto' the first variant whose decoder is in the folder. */
export function pickDtype(dir: string, dtype: Dtype | 'auto'): Dtype {
  return chooseDtype(dtype, (file) => existsSync(path.join(dir, file)));
}

/** The dtypes that have all their files in a repository's file list. */
export function completeDtypes(available: readonly string[]): Dtype[] {
  return DTYPES.filter((d) => filesFor(d, available).missing.length === 0);
}

/** Everything a dtype needs from a model repository, given the repository's file list. */
export function filesFor(dtype: Dtype, available: readonly string[]): { needed: string[]; missing: string[] } {
  const have = new Set(available);
  const graphs = GRAPHS.map((g) => `onnx/${g}${DTYPE_SUFFIXES[dtype]}.onnx`);
  // External data: <graph>.onnx_data, and <graph>.onnx_data_1 ... when split.
  const data = available.filter((f) => graphs.some((g) => f === `${g}_data` || f.startsWith(`${g}_data_`)));
  const required = [...REQUIRED_FILES, ...graphs];
  return {
    needed: [...required.filter((f) => have.has(f)), ...OPTIONAL_FILES.filter((f) => have.has(f)), ...data],
    missing: required.filter((f) => !have.has(f)),
  };
}

const FAMILIES: Record<string, Family> = {
  qwen2_vl: 'qwen2_vl',
  glm_ocr: 'glm',
  glm4v: 'glm',
  glm46v: 'glm',
};
export const SUPPORTED_MODEL_TYPES = Object.keys(FAMILIES);

const GRAPHS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
const REQUIRED_FILES = ['config.json', 'generation_config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
/** The chat template may live outside tokenizer_config.json. */
const OPTIONAL_FILES = ['chat_template.jinja', 'chat_template.json'];
export type GraphName = (typeof GRAPHS)[number];

export interface ModelDir {
  dir: string;
  dtype: Dtype;
  family: Family;
  modelType: string;
  graphs: Record<GraphName, string>;
  /** Files that define the model's answers, for its identity digest. */
  identityFiles: string[];
  config: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
  preprocessorConfig: Record<string, unknown>;
  preprocessorFile: string;
  ids: ModelTokenIds;
  numLayers: number;
}

export interface ModelTokenIds {
  image: number;
  visionStart?: number;
  eos: number[];
  pad: number;
}

function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new UsageError(t('models:folder.missing_file', { file }));
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(t('models:folder.not_object'));
    return value as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(t('models:folder.unreadable', { file, why: (error as Error).message }));
  }
}

function intField(source: Record<string, unknown>, key: string, file: string): number | undefined {
  const v = source[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new UsageError(t('models:folder.not_integer', { file, key }));
  return v;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number');
  return [];
}

/** Reads a model folder, checking every file the chosen dtype needs. */
export function loadModelDir(dir: string, dtype: Dtype): ModelDir {
  if (!existsSync(dir)) throw new UsageError(t('models:folder.not_found', { dir }));
  const configFile = path.join(dir, 'config.json');
  const config = readJson(configFile);
  const modelType = String(config.model_type ?? '');
  const family = FAMILIES[modelType];
  if (!family) {
    throw new UsageError(t('models:folder.model_type', { file: configFile, type: modelType, supported: SUPPORTED_MODEL_TYPES.join(', ') }));
  }
  const generationFile = path.join(dir, 'generation_config.json');
  const preprocessorFile = path.join(dir, 'preprocessor_config.json');
  const generationConfig = readJson(generationFile);
  const preprocessorConfig = readJson(preprocessorFile);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    if (!existsSync(path.join(dir, f))) throw new UsageError(t('models:folder.missing_file', { file: path.join(dir, f) }));
  }

  const suffix = DTYPE_SUFFIXES[dtype];
  const graphs = {} as Record<GraphName, string>;
  const identityFiles = [configFile, generationFile, preprocessorFile, path.join(dir, 'tokenizer.json'), path.join(dir, 'tokenizer_config.json')];
  for (const name of GRAPHS) {
    const file = path.join(dir, 'onnx', `${name}${suffix}.onnx`);
    if (!existsSync(file)) {
      throw new UsageError(missingGraph(dir, file, dtype));
    }
    graphs[name] = file;
    identityFiles.push(file);
    if (existsSync(`${file}_data`)) identityFiles.push(`${file}_data`);
  }
  for (const f of ['chat_template.jinja', 'chat_template.json']) {
    if (existsSync(path.join(dir, f))) identityFiles.push(path.join(dir, f));
  }

  const text = (config.text_config ?? config) as Record<string, unknown>;
  const image = intField(config, 'image_token_id', configFile) ?? intField(text, 'image_token_id', configFile);
  if (image === undefined) throw new UsageError(t('models:folder.missing_key', { file: configFile, key: 'image_token_id' }));
  const eos = idList(generationConfig.eos_token_id);
  if (eos.length === 0) eos.push(...idList(text.eos_token_id ?? config.eos_token_id));
  if (eos.length === 0) throw new UsageError(t('models:folder.missing_key', { file: generationFile, key: 'eos_token_id' }));
  const pad = idList(generationConfig.pad_token_id ?? text.pad_token_id ?? config.pad_token_id)[0] ?? eos[0] ?? 0;
  const numLayers = intField(text, 'num_hidden_layers', configFile);
  if (numLayers === undefined) throw new UsageError(t('models:folder.missing_key', { file: configFile, key: 'num_hidden_layers' }));
  return {
    dir, dtype, family, modelType, graphs, identityFiles, config, generationConfig, preprocessorConfig, preprocessorFile,
    ids: { image, visionStart: intField(config, 'vision_start_token_id', configFile), eos, pad },
    numLayers,
  };
}

function missingGraph(dir: string, file: string, dtype: Dtype): string {
  const found = DTYPES.filter((d) => existsSync(path.join(dir, decoderPath(d))));
  return found.length
    ? t('models:folder.missing_graph', { file, dtype, dtypes: found.join(', ') })
    : t('models:folder.missing_graph_none', { file, dtype });
}
