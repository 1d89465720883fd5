// A model folder's tokenizer files: its JSON read with errors that name the file,
// and the chat template found where transformers looks for it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../support/errors.js';
import { t } from '../../i18n/index.js';

export type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(t('engine:file.unreadable', { file, why: (error as Error).message }));
  }
}

function parseJson(file: string, text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(t('engine:file.not_json', { file, why: (error as Error).message }));
  }
  if (!isObject(value)) throw new UsageError(t('engine:file.not_object', { file }));
  return value;
}

export async function readRequiredJson(file: string): Promise<Json> {
  const text = await readText(file);
  if (text === undefined) throw new UsageError(t('engine:file.missing', { name: path.basename(file), file }));
  return parseJson(file, text);
}

/** A token in tokenizer_config may be a string or an AddedToken object. */
export function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

/** A chat_template value: a string, or the list-of-{name, template} form whose "default" entry we use. */
function templateFrom(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (isObject(entry) && entry.name === 'default' && typeof entry.template === 'string') return entry.template;
    }
    const names = value.map((e) => (isObject(e) ? String(e.name) : '?')).join(', ');
    throw new UsageError(t('engine:template.several', { where, names }));
  }
  throw new UsageError(t('engine:template.type', { where }));
}

export async function findChatTemplate(dir: string, tokenizerConfig: Json): Promise<{ source: string; where: string }> {
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  const jinja = await readText(jinjaFile);
  if (jinja !== undefined) return { source: jinja, where: jinjaFile };

  const jsonFile = path.join(dir, 'chat_template.json');
  const json = await readText(jsonFile);
  if (json !== undefined) {
    const source = templateFrom(parseJson(jsonFile, json).chat_template, jsonFile);
    if (source === undefined) throw new UsageError(t('engine:template.none_in_json', { file: jsonFile }));
    return { source, where: jsonFile };
  }

  const configFile = path.join(dir, 'tokenizer_config.json');
  const source = templateFrom(tokenizerConfig.chat_template, configFile);
  if (source !== undefined) return { source, where: `${configFile} (chat_template)` };

  throw new UsageError(t('engine:template.none', { dir }));
}
