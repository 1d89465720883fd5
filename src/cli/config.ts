// Settings from the environment and config files, merged into a command's
// flags; and `glm-vision config`, which prints them with where each came from.
import type { Command } from 'commander';
import { defaultCachePath, langFromEnv } from '../config/constants.js';
import { CONFIG_NAME } from '../config/find.js';
import { loadSettings, type Resolved, type Settings } from '../config/load.js';
import { SETTINGS, type Value } from '../config/settings.js';
import type { ExitCode } from '../support/errors.js';
import { DEFAULT_MODEL } from '../models/defaults.js';
import type { CatalogFlags } from '../config/options.js';
import { defaultBackend, defaultMaxPixels, defaultThreads, INFER_MODEL } from './defaults.js';
import { table } from '../support/text-table.js';
import { currentLang, t, tIn, type Lang, type MessageKey, type MessageValues } from '../i18n/index.js';
import type { CliIO } from './io.js';

// In defaults.ts, which main.ts reads to build the options without loading this module.

/**
 * Fills the options commander did not get from the command line with the environment's and the
 * config file's values, recording their source (commander's 'env' and 'config').
 */
function applySettings(cmd: Command, io: CliIO, options: { checkCli?: boolean } = {}): Settings {
  const opts = cmd.opts();
  const cli: Record<string, unknown> = {};
  for (const s of SETTINGS) if (cmd.getOptionValueSource(s.attr) === 'cli') cli[s.attr] = opts[s.attr];
  const settings = loadSettings({
    cli, env: io.env, cwd: io.cwd, config: opts.config as string | false | undefined, checkCli: options.checkCli ?? false,
  });
  for (const r of settings.resolved.values()) {
    if (r.source.kind === 'env' || r.source.kind === 'config') cmd.setOptionValueWithSource(r.setting.attr, r.value, r.source.kind);
  }
  return settings;
}

function printWarnings(settings: Settings, quiet: boolean, io: CliIO): void {
  if (!quiet) for (const w of settings.warnings) io.stderr.write(`${t('cli:error.prefix', { message: w })}\n`);
}

/** The catalog's flags with the settings merged in (also of batch export and submit, which share them). */
export function catalogSettings<F extends Pick<CatalogFlags, 'setFrom' | 'quiet'> = CatalogFlags>(cmd: Command, io: CliIO): F {
  const settings = applySettings(cmd, io);
  const flags = cmd.opts<F>();
  printWarnings(settings, !!flags.quiet, io);
  const set = settings.resolved.get('set')?.source;
  if (set?.kind === 'config') flags.setFrom = t('cli:catalog.setFrom.config', { file: set.file });
  if (set?.kind === 'env') flags.setFrom = `$${set.name}`;
  return { ...flags };
}

/** Settings other commands share with catalog, by commander attribute name. */
export interface SharedFlags {
  cache?: string;
  endpoint?: string[];
  model?: string;
  apiKey?: string;
  config?: string | false;
}
type SharedKey = Exclude<keyof SharedFlags, 'config'>;

/** `flags` with `keys` resolved as catalog resolves them: flag, then environment, then config file. */
export function sharedSettings<F extends SharedFlags>(flags: F, keys: readonly SharedKey[], io: CliIO): F {
  const cli: Record<string, unknown> = {};
  for (const key of keys) {
    const v = flags[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) cli[key] = v;
  }
  const settings = loadSettings({ cli, env: io.env, cwd: io.cwd, config: flags.config });
  printWarnings(settings, false, io);
  const out: F = { ...flags };
  for (const key of keys) (out as SharedFlags)[key] = settings.values[key] as never;
  return out;
}

type Shown = string | number | boolean | string[] | null;

interface Row {
  value: Shown;
  source: 'flag' | 'env' | 'config' | 'default';
  /** The flag, the variable or the file. */
  from?: string;
  /** How a default is decided, where it depends on something else. */
  note?: string;
}

function mask(key: string): string {
  return key.length >= 12 ? `****${key.slice(-4)}` : '****';
}

function typed(r: Resolved): Shown {
  const v = r.value;
  if (v === undefined) return r.setting.kind === 'boolean' ? false : r.setting.kind === 'list' ? [] : null;
  if (r.setting.secret && typeof v === 'string') return mask(v);
  if ((r.setting.kind === 'integer' || r.setting.kind === 'number') && typeof v === 'string' && Number.isFinite(Number(v))) return Number(v);
  return v;
}

/** A default's note: a message (English in --json, the command's language in the table). */
type Note = [key: MessageKey, values?: MessageValues];

/** Defaults that the catalog works out from other settings or the machine. */
function derivedDefault(key: string, get: (key: string) => Value | undefined, env: NodeJS.ProcessEnv): { value: Shown; note?: Note } | undefined {
  const endpoints = get('endpoint') as string[];
  const backend = defaultBackend(get('backend') as string | undefined, endpoints);
  switch (key) {
    case 'backend':
      return { value: backend, note: [endpoints.length ? 'cli:config.note.endpointSet' : 'cli:config.note.noEndpoint'] };
    case 'max-pixels':
      return { value: defaultMaxPixels(backend), note: ['cli:config.note.backend', { backend: backend === 'onnx' ? 'onnx' : 'openai' }] };
    case 'threads':
      return { value: defaultThreads(), note: ['cli:config.note.allCores'] };
    case 'lang':
      return { value: langFromEnv(env), note: ['cli:config.note.locale'] };
    case 'cache':
      return { value: defaultCachePath(env) };
    case 'model':
      if (backend === 'onnx') return { value: null, note: ['cli:config.note.templateModel', { model: DEFAULT_MODEL }] };
      return get('flavor') === 'infer' ? { value: INFER_MODEL, note: ['cli:config.note.flavorInfer'] } : { value: null, note: ['cli:config.note.modelRequired'] };
    case 'bom':
      return { value: null, note: ['cli:config.note.bom'] };
    case 'temperature':
    case 'top-p':
    case 'max-tokens':
      return { value: null, note: ['cli:config.note.template'] };
    default:
      return undefined;
  }
}

/** The rows, notes in `lang`: English for --json, which scripts read. */
function describeSettings(settings: Settings, env: NodeJS.ProcessEnv, lang: Lang): Record<string, Row> {
  const get = (key: string): Value | undefined => settings.resolved.get(key)?.value;
  const rows: Record<string, Row> = {};
  for (const [key, r] of settings.resolved) {
    const s = r.source;
    const derived = s.kind === 'default' && r.value === undefined ? derivedDefault(key, get, env) : undefined;
    rows[key] = {
      value: derived ? derived.value : typed(r),
      source: s.kind,
      ...(s.kind === 'flag' || s.kind === 'env' ? { from: s.name } : s.kind === 'config' ? { from: s.file } : {}),
      ...(derived?.note ? { note: tIn(lang, ...derived.note) } : {}),
    };
  }
  return rows;
}

function cell(value: Shown): string {
  if (value === null) return '-';
  if (Array.isArray(value)) return value.length ? value.join(' ') : '-';
  return String(value);
}

function configLine(settings: Settings, flag: string | false | undefined, cwd: string): string {
  if (settings.config) {
    const { by, file } = settings.config;
    return t(by === 'flag' ? 'cli:config.file.flag' : by === 'env' ? 'cli:config.file.env' : 'cli:config.file.found', { file });
  }
  if (flag === false) return t('cli:config.file.disabled');
  return t('cli:config.file.none', { name: CONFIG_NAME, cwd });
}

/** The SOURCE column: where the value came from, in words. */
function sourceCell(row: Row): string {
  if (row.source === 'default') return row.note ? t('cli:config.source.defaultNote', { note: row.note }) : t('cli:config.source.default');
  return t(`cli:config.source.${row.source}`, { from: row.from });
}

/** `glm-vision config [catalog options]`: the settings a catalog run with the same options would use. */
export function configCommand(cmd: Command, io: CliIO): ExitCode {
  const settings = applySettings(cmd, io, { checkCli: true });
  const flags = cmd.opts<{ json?: boolean; quiet?: boolean; config?: string | false }>();
  printWarnings(settings, !!flags.quiet, io);
  if (flags.json) {
    const rows = describeSettings(settings, io.env, 'en');
    io.stdout.write(`${JSON.stringify({ config: settings.config?.file ?? null, settings: rows }, null, 2)}\n`);
    return 0;
  }
  const rows = describeSettings(settings, io.env, currentLang());
  const header = [t('cli:config.column.setting'), t('cli:config.column.value'), t('cli:config.column.source')];
  const lines = table(header, Object.entries(rows).map(([key, row]) => [key, cell(row.value), sourceCell(row)]));
  io.stdout.write(`${configLine(settings, flags.config, io.cwd)}\n\n${lines.join('\n')}\n`);
  return 0;
}
