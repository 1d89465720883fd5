/**
 * tokenizer.json / tokenizer_config.json: a byte-level BPE in the Hugging Face format. 256 byte tokens, a few
 * English merges, some CJK merges (one that stops inside a character, to exercise streaming decode), readable
 * filler tokens up to the vocabulary size, and the family's special tokens on the top ids.
 */
import type { TinySpec } from './spec.js';

type Json = Record<string, unknown>;

/** GPT-2's reversible byte → printable character map. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  for (const b of printable) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

/** Byte tokens in the order real vocabularies list them ("!" first, the remapped control bytes last). */
function byteTokens(map: readonly string[]): string[] {
  const order: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(b);
  for (let b = 0xa1; b <= 0xac; b++) order.push(b);
  for (let b = 0xae; b <= 0xff; b++) order.push(b);
  for (let b = 0; b < 256; b++) if (!order.includes(b)) order.push(b);
  return order.map((b) => map[b] ?? '');
}

const ENGLISH_MERGES: Array<[string, string]> = [
  ['Ġ', 't'], ['Ġ', 'a'], ['h', 'e'], ['i', 'n'], ['r', 'e'], ['o', 'n'], ['Ġt', 'he'], ['e', 'r'],
  ['Ġ', 's'], ['a', 't'], ['Ġ', 'w'], ['Ġ', 'o'], ['e', 'n'], ['Ġ', 'c'], ['i', 't'], ['i', 's'],
  ['a', 'n'], ['o', 'r'], ['e', 's'], ['Ġ', 'b'], ['e', 'd'], ['Ġ', 'f'], ['in', 'g'], ['Ġ', 'p'],
  ['o', 'u'], ['Ġa', 'n'], ['a', 'l'], ['a', 'r'], ['Ġt', 'o'], ['Ġ', 'm'], ['Ġo', 'f'], ['Ġ', 'in'],
  ['Ġ', 'd'], ['Ġ', 'h'], ['Ġan', 'd'], ['i', 'c'], ['a', 's'], ['l', 'e'], ['Ġ', 'r'], ['i', 'on'],
  ['o', 'm'], ['l', 'l'], ['en', 't'], ['Ġ', 'n'], ['Ġ', 'l'], ['s', 't'], ['Ġr', 'e'], ['v', 'e'],
  ['Ġ', 'e'], ['r', 'o'], ['l', 'y'], ['Ġb', 'e'], ['Ġ', 'g'], ['Ġ', 'T'], ['c', 't'], ['Ġ', 'y'],
  ['Ġ', 'I'], ['Ġ', 'A'], ['Ġ', 'Ġ'], ['Ċ', 'Ċ'], ['Ġ', 'is'], ['Ġ', 'it'], ['Ġ', 'on'], ['Ġw', 'h'], ['Ġ', 'D'],
];
/** Characters merged to one token; the last ones only get their first two bytes merged (a token that ends mid-character). */
const CJK_FULL = ['你', '的', '是', '图', '片', '中'];
const CJK_PARTIAL = ['好', '文'];

function cjkMerges(map: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const chars = (c: string): string[] => [...new TextEncoder().encode(c)].map((b) => map[b] ?? '');
  for (const c of CJK_FULL) {
    const [a = '', b = '', d = ''] = chars(c);
    out.push([a, b], [a + b, d]);
  }
  for (const c of CJK_PARTIAL) {
    const [a = '', b = ''] = chars(c);
    out.push([a, b]);
  }
  return out;
}

function fillerName(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return `Ġq${s}`;
}

/** Qwen2's pre-tokenizer split (digits one by one); GLM-4's groups up to three digits. */
const QWEN_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const GLM_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export function tokenizerJson(spec: TinySpec): Json {
  const map = bytesToUnicode();
  const vocab: Record<string, number> = {};
  let next = 0;
  const add = (token: string): boolean => {
    if (token in vocab) return false;
    vocab[token] = next++;
    return true;
  };
  for (const t of byteTokens(map)) add(t);
  const regularSize = spec.vocab - spec.specialTokens.length;
  const merges: Array<[string, string]> = [];
  for (const [a, b] of [...ENGLISH_MERGES, ...cjkMerges(map)]) {
    if (next >= regularSize) break;
    if (!(a in vocab) || !(b in vocab)) throw new Error(`merge ${a} ${b} uses an unknown token`);
    if (add(a + b)) merges.push([a, b]);
  }
  for (let i = 0; next < regularSize; i++) add(fillerName(i));

  const byteLevel = { add_prefix_space: false, trim_offsets: false, use_regex: false };
  const qwen = spec.family === 'qwen2_vl';
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: spec.specialTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: qwen ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: qwen ? QWEN_PATTERN : GLM_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', ...byteLevel },
      ],
    },
    post_processor: { type: 'ByteLevel', ...byteLevel },
    decoder: { type: 'ByteLevel', ...byteLevel },
    // Older tokenizers serialise merges as "a b" strings, newer ones as pairs; cover both.
    model: bpeModel(vocab, qwen ? merges.map(([a, b]) => `${a} ${b}`) : merges),
  };
}

/** A byte-level BPE model section of tokenizer.json, as the Qwen and GLM tokenizers have it. */
export function bpeModel(vocab: Record<string, number>, merges: readonly (string | readonly [string, string])[]): Json {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
}

/** `chatTemplate`: the chat_template value, when the template lives in this file. */
export function tokenizerConfig(spec: TinySpec, chatTemplate?: unknown): Json {
  const template = chatTemplate === undefined ? {} : { chat_template: chatTemplate };
  const decoder: Record<string, Json> = {};
  for (const t of spec.specialTokens) {
    decoder[String(t.id)] = {
      content: t.content,
      lstrip: false,
      normalized: false,
      rstrip: false,
      single_word: false,
      special: t.special,
    };
  }
  const specials = spec.specialTokens.filter((t) => t.special).map((t) => t.content);
  if (spec.family === 'qwen2_vl') {
    return {
      add_prefix_space: false,
      added_tokens_decoder: decoder,
      additional_special_tokens: specials.filter((s) => s !== '<|endoftext|>'),
      bos_token: null,
      ...template,
      clean_up_tokenization_spaces: false,
      eos_token: '<|im_end|>',
      errors: 'replace',
      model_max_length: 32768,
      pad_token: '<|endoftext|>',
      padding_side: 'left',
      processor_class: 'Qwen2VLProcessor',
      split_special_tokens: false,
      tokenizer_class: 'Qwen2Tokenizer',
      unk_token: null,
    };
  }
  return {
    added_tokens_decoder: decoder,
    additional_special_tokens: specials.filter((s) => s !== '<|endoftext|>'),
    ...template,
    clean_up_tokenization_spaces: false,
    do_lower_case: false,
    eos_token: '<|endoftext|>',
    extra_special_tokens: {},
    model_max_length: 128000,
    pad_token: '<|endoftext|>',
    padding_side: 'left',
    remove_space: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
}
