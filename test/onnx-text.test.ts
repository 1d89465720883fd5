// The onnx engine's text side (tokenizer, chat templates, image placeholders, streaming) and its sampler.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TextCodec } from '../src/backends/onnx/text.js';
import { createRng, sampleToken } from '../src/backends/onnx/sampler.js';
import type { SamplingParams } from '../src/backends/onnx/sampler.js';
import { UsageError } from '../src/support/errors.js';
import { bpeModel } from './tiny-model/tokenizer.js';
import { generateTinyModel, resolveSpec, type ChatTemplatePlace } from './tiny-model/index.js';

// ---- fixtures: a byte-level BPE tokenizer shaped like Qwen2's and GLM-4's tokenizer.json ----

/** GPT-2's byte -> printable character map. */
const BYTE_CHAR: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = [];
  for (const b of bs) map[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (map[b] === undefined) map[b] = String.fromCharCode(256 + n++);
  return map;
})();

const byteText = (bytes: Iterable<number>): string => Array.from(bytes, (b) => BYTE_CHAR[b]).join('');
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

// Merges chosen so that some tokens end in the middle of a character (中, 文, 🙂).
const MERGES: [string, string][] = [
  [byteText([0xe4]), byteText([0xb8])], // first two bytes of 中
  [byteText([0xe6]), byteText([0x96])], // first two bytes of 文
  [byteText([0xf0]), byteText([0x9f])], // 🙂 ...
  [byteText([0xf0, 0x9f]), byteText([0x99])], // ... three of its four bytes
  [byteText([0xc3]), byteText([0xa9])], // é
  ['c', 'a'],
  ['ca', 'f'],
  ['Ġ', 'c'],
  ['h', 'e'],
  ['l', 'l'],
  ['he', 'll'],
  ['hell', 'o'],
];

const QWEN_SPECIALS = [
  '<|endoftext|>',
  '<|im_start|>',
  '<|im_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|image_pad|>',
  '<|video_pad|>',
];
const GLM_SPECIALS = [
  '<|endoftext|>',
  '[gMASK]',
  '<sop>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
  '<|observation|>',
  '<|begin_of_image|>',
  '<|image|>',
  '<|end_of_image|>',
  '<|begin_of_video|>',
  '<|video|>',
  '<|end_of_video|>',
];
// Added but not special: decode keeps them.
const GLM_PLAIN_ADDED = ['<think>', '</think>'];

const SPLIT_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface Fixture {
  tokenizer: Record<string, unknown>;
  ids: Map<string, number>;
}

function buildTokenizer(specials: string[], plainAdded: string[], postProcessor: unknown): Fixture {
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[BYTE_CHAR[b] as string] = b;
  let next = 256;
  for (const [a, b] of MERGES) vocab[a + b] = next++;
  const ids = new Map<string, number>();
  const added = [...specials.map((s) => [s, true] as const), ...plainAdded.map((s) => [s, false] as const)].map(
    ([content, special]) => {
      ids.set(content, next);
      return { id: next++, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
    },
  );
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    ids,
    tokenizer: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: SPLIT_REGEX }, behavior: 'Isolated', invert: false },
          byteLevel,
        ],
      },
      post_processor: postProcessor ?? byteLevel,
      decoder: byteLevel,
      model: bpeModel(vocab, MERGES.map(([a, b]) => `${a} ${b}`)),
    },
  };
}

const QWEN = buildTokenizer(QWEN_SPECIALS, [], null);
// GLM-4's tokenizer.json post-processor prepends [gMASK]<sop>; encode() must not add it again.
const GLM = buildTokenizer(GLM_SPECIALS, GLM_PLAIN_ADDED, {
  type: 'TemplateProcessing',
  single: [
    { SpecialToken: { id: '[gMASK]', type_id: 0 } },
    { SpecialToken: { id: '<sop>', type_id: 0 } },
    { Sequence: { id: 'A', type_id: 0 } },
  ],
  pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
  special_tokens: {},
});

const qwenId = (s: string): number => QWEN.ids.get(s) as number;
const glmId = (s: string): number => GLM.ids.get(s) as number;

// Qwen2-VL-Instruct's chat template (chat_template.json), as shipped.
const QWEN2_VL_TEMPLATE =
  "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

// GLM-4.5V / 4.6V's chat_template.jinja structure: tools header, visible_text macro, /nothink on user turns and an
// empty <think></think> after <|assistant|> when enable_thinking is false.
const GLM46V_TEMPLATE = `[gMASK]<sop>
{%- if tools -%}
<|system|>
# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{% for tool in tools %}
{{ tool | tojson(ensure_ascii=False) }}
{% endfor %}
</tools>
{%- endif -%}
{%- macro visible_text(content) -%}
    {%- if content is string -%}
        {{- content }}
    {%- elif content is iterable and content is not mapping -%}
        {%- for item in content -%}
            {%- if item is mapping and item.type == 'text' -%}
                {{- item.text }}
            {%- elif item is mapping and (item.type == 'image' or 'image' in item) -%}
                <|begin_of_image|><|image|><|end_of_image|>
            {%- elif item is mapping and (item.type == 'video' or 'video' in item) -%}
                <|begin_of_video|><|video|><|end_of_video|>
            {%- elif item is string -%}
                {{- item }}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{- content }}
    {%- endif -%}
{%- endmacro -%}
{%- set ns = namespace(last_user_index=-1) %}
{%- for m in messages %}
    {%- if m.role == 'user' %}
        {% set ns.last_user_index = loop.index0 -%}
    {%- endif %}
{%- endfor %}
{% for m in messages %}
{%- if m.role == 'user' -%}<|user|>
{% if m.content is string %}
{{ m.content }}
{%- else %}
{%- for item in m.content %}
{% if item.type == 'video' or 'video' in item %}
<|begin_of_video|><|video|><|end_of_video|>{% elif item.type == 'image' or 'image' in item %}
<|begin_of_image|><|image|><|end_of_image|>{% elif item.type == 'text' %}
{{ item.text }}
{%- endif %}
{%- endfor %}
{%- endif %}
{{- '/nothink' if (enable_thinking is defined and not enable_thinking and not visible_text(m.content).endswith("/nothink")) else '' -}}
{%- elif m.role == 'assistant' -%}
<|assistant|>
{%- set reasoning_content = '' %}
{%- set content = visible_text(m.content) %}
{%- if m.reasoning_content is string %}
    {%- set reasoning_content = m.reasoning_content %}
{%- else %}
    {%- if '</think>' in content %}
        {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}
        {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
    {%- endif %}
{%- endif %}
{%- if loop.index0 > ns.last_user_index and reasoning_content -%}
{{ '\\n<think>' + reasoning_content.strip() +  '</think>'}}
{%- else -%}
{{ '\\n<think></think>' }}
{%- endif -%}
{%- if content.strip() -%}
{{ '\\n' + content.strip() }}
{%- endif -%}
{%- elif m.role == 'system' -%}
<|system|>
{{ visible_text(m.content) }}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
<|assistant|>
{{'<think></think>\\n' if (enable_thinking is defined and not enable_thinking) else ''}}
{%- endif -%}`;

// GLM-4.1V-9B-Thinking's template: it has no thinking switch at all.
const GLM41V_TEMPLATE = `[gMASK]<sop>
{%- for msg in messages %}
    {%- if msg.role == 'system' %}
<|system|>
{{ msg.content }}
    {%- elif msg.role == 'user' %}
<|user|>{{ '\\n' }}

        {%- if msg.content is string %}
{{ msg.content }}
        {%- else %}
            {%- for item in msg.content %}
                {%- if item.type == 'video' or 'video' in item %}
<|begin_of_video|><|video|><|end_of_video|>
                {%- elif item.type == 'image' or 'image' in item %}
<|begin_of_image|><|image|><|end_of_image|>
                {%- elif item.type == 'text' %}
{{ item.text }}
                {%- endif %}
            {%- endfor %}
        {%- endif %}
    {%- elif msg.role == 'assistant' %}
        {%- if msg.metadata %}
<|assistant|>{{ msg.metadata }}
{{ msg.content }}
        {%- else %}
<|assistant|>
{{ msg.content }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{% if add_generation_prompt %}<|assistant|>
{% endif %}`;

const QWEN_CONFIG = {
  add_prefix_space: false,
  additional_special_tokens: QWEN_SPECIALS.slice(1),
  bos_token: null,
  clean_up_tokenization_spaces: false,
  eos_token: '<|im_end|>',
  errors: 'replace',
  model_max_length: 32768,
  pad_token: '<|endoftext|>',
  split_special_tokens: false,
  tokenizer_class: 'Qwen2Tokenizer',
  unk_token: null,
};
const GLM_CONFIG = {
  clean_up_tokenization_spaces: false,
  do_lower_case: false,
  eos_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  model_max_length: 128000,
  padding_side: 'left',
  remove_space: false,
  tokenizer_class: 'PreTrainedTokenizer',
};

let root = '';
let dirCount = 0;
async function modelDir(files: Record<string, unknown>): Promise<string> {
  const dir = path.join(root, `m${dirCount++}`);
  await mkdir(dir);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const qwenFiles = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  'tokenizer.json': QWEN.tokenizer,
  'tokenizer_config.json': QWEN_CONFIG,
  'chat_template.json': { chat_template: QWEN2_VL_TEMPLATE },
  ...extra,
});
const glmFiles = (template: string): Record<string, unknown> => ({
  'tokenizer.json': GLM.tokenizer,
  'tokenizer_config.json': GLM_CONFIG,
  'chat_template.jinja': template,
});

let qwen: TextCodec;
let glm: TextCodec;
let glm41: TextCodec;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'glm-vision-text-'));
  qwen = await TextCodec.load(await modelDir(qwenFiles()), { imageTokenId: qwenId('<|image_pad|>'), family: 'qwen2_vl' });
  glm = await TextCodec.load(await modelDir(glmFiles(GLM46V_TEMPLATE)), { imageTokenId: glmId('<|image|>'), family: 'glm' });
  glm41 = await TextCodec.load(await modelDir(glmFiles(GLM41V_TEMPLATE)), { imageTokenId: glmId('<|image|>'), family: 'glm' });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('chat templates', () => {
  it('renders Qwen2-VL ChatML with the default system prompt and images before the text', () => {
    assert.equal(
      qwen.renderChat({ user: 'Describe this.' }, 1),
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' +
        '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe this.<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
    assert.equal(
      qwen.renderChat({ system: 'Be brief.', user: 'Tags?' }, 2),
      '<|im_start|>system\nBe brief.<|im_end|>\n' +
        '<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Tags?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('renders GLM-4.6V with thinking off: /nothink and an empty <think></think>', () => {
    assert.equal(
      glm.renderChat({ user: 'Describe this.' }, 1),
      '[gMASK]<sop><|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe this./nothink<|assistant|>\n<think></think>\n',
    );
    assert.equal(
      glm.renderChat({ system: 'Be brief.', user: 'Tags?' }, 1),
      '[gMASK]<sop><|system|>\nBe brief.<|user|>\n<|begin_of_image|><|image|><|end_of_image|>Tags?/nothink' +
        '<|assistant|>\n<think></think>\n',
    );
    assert.equal(
      glm.renderChat({ user: 'no image' }, 0),
      '[gMASK]<sop><|user|>\nno image/nothink<|assistant|>\n<think></think>\n',
    );
    // The template's own guard against a doubled switch works in @huggingface/jinja (macro result .endswith).
    assert.equal(
      glm.renderChat({ user: 'short /nothink' }, 0),
      '[gMASK]<sop><|user|>\nshort /nothink<|assistant|>\n<think></think>\n',
    );
  });

  it('renders GLM-4.1V (whose template has no thinking switch)', () => {
    assert.equal(
      glm41.renderChat({ user: 'Describe this.' }, 1),
      '[gMASK]<sop><|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe this.<|assistant|>\n',
    );
    assert.equal(
      glm41.renderChat({ system: 'Be brief.', user: 'Tags?' }, 1),
      '[gMASK]<sop><|system|>\nBe brief.<|user|>\n<|begin_of_image|><|image|><|end_of_image|>Tags?<|assistant|>\n',
    );
  });

  it('looks in chat_template.jinja, then chat_template.json, then tokenizer_config.json', async () => {
    const opts = { imageTokenId: qwenId('<|image_pad|>'), family: 'qwen2_vl' as const };
    const inConfig = { ...QWEN_CONFIG, chat_template: 'CONFIG' };
    const all = await modelDir({ ...qwenFiles({ 'chat_template.jinja': 'JINJA' }), 'tokenizer_config.json': inConfig });
    assert.equal((await TextCodec.load(all, opts)).renderChat({ user: 'x' }, 0), 'JINJA');
    const json = await modelDir({ ...qwenFiles({ 'chat_template.json': { chat_template: 'JSON' } }), 'tokenizer_config.json': inConfig });
    assert.equal((await TextCodec.load(json, opts)).renderChat({ user: 'x' }, 0), 'JSON');
    const config = await modelDir({ 'tokenizer.json': QWEN.tokenizer, 'tokenizer_config.json': inConfig });
    assert.equal((await TextCodec.load(config, opts)).renderChat({ user: 'x' }, 0), 'CONFIG');
    const list = await modelDir({
      'tokenizer.json': QWEN.tokenizer,
      'tokenizer_config.json': {
        ...QWEN_CONFIG,
        chat_template: [
          { name: 'tool_use', template: 'TOOLS' },
          { name: 'default', template: 'DEFAULT {{ bos_token }}{{ eos_token }}' },
        ],
      },
    });
    assert.equal((await TextCodec.load(list, opts)).renderChat({ user: 'x' }, 0), 'DEFAULT <|im_end|>');
  });

  it('renders a generated GLM-OCR model\'s template the same from each place it can live', async () => {
    const places: ChatTemplatePlace[] = ['tokenizer_config', 'tokenizer_config_list', 'chat_template.jinja', 'chat_template.json'];
    const rendered: string[] = [];
    for (const place of places) {
      const dir = path.join(root, `glm-${place}`);
      await generateTinyModel({ family: 'glm', outDir: dir, chatTemplateIn: place, dtypes: [''], layers: 1 });
      const imageTokenId = resolveSpec({ family: 'glm', outDir: dir }).ids.image!;
      const codec = await TextCodec.load(dir, { imageTokenId, family: 'glm' });
      rendered.push(codec.renderChat({ system: 'Be brief.', user: 'Describe this.' }, 1));
    }
    assert.equal(
      rendered[0],
      '[gMASK]<sop><|system|>\nBe brief.<|user|>\n<|begin_of_image|><|image|><|end_of_image|>Describe this./nothink<|assistant|>\n<think></think>\n',
    );
    assert.deepEqual(rendered, places.map(() => rendered[0]));
  });

  it('names the files it needs when they are missing', async () => {
    const opts = { imageTokenId: qwenId('<|image_pad|>'), family: 'qwen2_vl' as const };
    const noTokenizer = await modelDir({ 'tokenizer_config.json': QWEN_CONFIG, 'chat_template.jinja': 'x' });
    await assert.rejects(TextCodec.load(noTokenizer, opts), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.ok(error.message.includes(path.join(noTokenizer, 'tokenizer.json')), error.message);
      return true;
    });
    const noConfig = await modelDir({ 'tokenizer.json': QWEN.tokenizer, 'chat_template.jinja': 'x' });
    await assert.rejects(TextCodec.load(noConfig, opts), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.ok(error.message.includes(path.join(noConfig, 'tokenizer_config.json')), error.message);
      return true;
    });
    const noTemplate = await modelDir({ 'tokenizer.json': QWEN.tokenizer, 'tokenizer_config.json': QWEN_CONFIG });
    await assert.rejects(TextCodec.load(noTemplate, opts), (error: Error) => {
      assert.ok(error instanceof UsageError);
      for (const place of ['chat_template.jinja', 'chat_template.json', 'tokenizer_config.json']) {
        assert.ok(error.message.includes(place), error.message);
      }
      return true;
    });
    const badJson = await modelDir({ 'tokenizer.json': '{nope', 'tokenizer_config.json': QWEN_CONFIG });
    await assert.rejects(TextCodec.load(badJson, opts), UsageError);
    const badImageId = await modelDir(qwenFiles());
    await assert.rejects(TextCodec.load(badImageId, { ...opts, imageTokenId: 999_999 }), /999999/);
  });
});

describe('encode / decode', () => {
  it('turns special tokens written in the text into their ids and adds nothing', () => {
    const ids = qwen.encode('<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>hello<|im_end|>');
    assert.deepEqual(ids.slice(0, 1), [qwenId('<|im_start|>')]);
    assert.ok(ids.includes(qwenId('<|image_pad|>')));
    assert.equal(ids.at(-1), qwenId('<|im_end|>'));
    assert.equal(ids.filter((id) => id === qwenId('<|image_pad|>')).length, 1);
    assert.ok(ids.includes(256 + MERGES.findIndex(([a, b]) => a + b === 'hello')), 'merges apply');

    const prompt = glm.renderChat({ user: 'hi' }, 1);
    const glmIds = glm.encode(prompt);
    assert.deepEqual(glmIds.slice(0, 2), [glmId('[gMASK]'), glmId('<sop>')], 'no second [gMASK]<sop>');
    assert.equal(glmIds.filter((id) => id === glmId('[gMASK]')).length, 1);
    assert.deepEqual(glmIds.slice(-5), [glmId('<|assistant|>'), ...glm.encode('\n<think></think>\n')]);
    assert.deepEqual(glm.encode(''), []);
  });

  it('expands each image token to its count and rejects a mismatch', () => {
    const pad = qwenId('<|image_pad|>');
    const ids = qwen.encode(qwen.renderChat({ user: 'x' }, 2));
    const expanded = qwen.expandImages(ids, [3, 5]);
    assert.equal(expanded.length, ids.length + 2 + 4);
    assert.equal(expanded.filter((id) => id === pad).length, 8);
    const first = expanded.indexOf(pad);
    assert.deepEqual(expanded.slice(first - 1, first + 4), [qwenId('<|vision_start|>'), pad, pad, pad, qwenId('<|vision_end|>')]);
    const second = expanded.indexOf(pad, first + 3);
    assert.deepEqual(expanded.slice(second - 1, second + 6), [qwenId('<|vision_start|>'), pad, pad, pad, pad, pad, qwenId('<|vision_end|>')]);
    assert.deepEqual(qwen.expandImages([1, 2], []), [1, 2]);
    assert.throws(() => qwen.expandImages(ids, [3]), /2 image placeholder\(s\) but 1 image/);
    assert.throws(() => qwen.expandImages(ids, [3, 4, 5]), UsageError);

    const g = glm.encode(glm.renderChat({ user: 'x' }, 1));
    const ge = glm.expandImages(g, [4]);
    const at = ge.indexOf(glmId('<|image|>'));
    assert.deepEqual(ge.slice(at - 1, at + 5), [glmId('<|begin_of_image|>'), ...Array(4).fill(glmId('<|image|>')), glmId('<|end_of_image|>')]);
  });

  it('round-trips Chinese, accents and emoji, skipping special tokens only', () => {
    for (const text of ['中文 café 🙂', '你好，世界！ hello', 'emoji 🙂🎉 mixed 中 é\nnew line', '  spaces  ']) {
      assert.equal(qwen.decode(qwen.encode(text)), text);
      assert.equal(glm.decode(glm.encode(text)), text);
    }
    assert.equal(qwen.decode(qwen.encode('<|im_start|>中文<|im_end|>')), '中文');
    assert.equal(glm.decode(glm.encode('<think></think>答案<|endoftext|>')), '<think></think>答案', 'non-special added tokens stay');
    assert.equal(qwen.decode([]), '');
    assert.equal(qwen.decode([...qwen.encode('a'), 151_000, ...qwen.encode('b')]), 'ab', 'ids past the vocabulary (padded logits) decode to nothing');
    assert.equal(qwen.decode([qwenId('<|im_end|>')]), '');
  });
});

describe('stream decoder', () => {
  const TEXT = '中文 café 🙂';

  function stream(codec: TextCodec, ids: number[]): string[] {
    const decoder = codec.streamDecoder();
    const pieces = ids.map((id) => decoder.push(id));
    pieces.push(decoder.flush());
    return pieces;
  }

  it('never emits U+FFFD for characters split across byte tokens, and concatenates to the text', () => {
    const pieces = stream(qwen, utf8(TEXT));
    for (const piece of pieces) assert.ok(!piece.includes('\uFFFD'), JSON.stringify(pieces));
    assert.equal(pieces.join(''), TEXT);
    assert.equal(pieces.at(-1), '', 'nothing left for flush');
    // Each character appears as soon as its last byte arrives.
    const bytes = utf8(TEXT);
    const ends = [...TEXT].map((ch) => utf8(ch).length).reduce<number[]>((acc, n) => [...acc, (acc.at(-1) ?? 0) + n], []);
    for (const [i, end] of ends.entries()) assert.equal(pieces.slice(0, end).join(''), [...TEXT].slice(0, i + 1).join(''));
    assert.equal(ends.at(-1), bytes.length);
  });

  it('handles merged tokens that end mid-character, and special tokens in between', () => {
    for (const codec of [qwen, glm]) {
      const ids = codec.encode(TEXT);
      assert.ok(ids.length < utf8(TEXT).length, 'merges were used');
      const pieces = stream(codec, ids);
      for (const piece of pieces) assert.ok(!piece.includes('\uFFFD'), JSON.stringify(pieces));
      assert.equal(pieces.join(''), TEXT);
    }
    const end = qwenId('<|im_end|>');
    const ids = [...qwen.encode('答案：'), end, ...qwen.encode(TEXT), end];
    const pieces = stream(qwen, ids);
    assert.equal(pieces.join(''), qwen.decode(ids));
    assert.equal(pieces.join(''), `答案：${TEXT}`);
  });

  it('holds an incomplete tail until flush, then gives what decode gives', () => {
    const partial = utf8('ok 🙂').slice(0, -1);
    const decoder = qwen.streamDecoder();
    const pushed = partial.map((id) => decoder.push(id)).join('');
    assert.equal(pushed, 'ok ');
    assert.equal(pushed + decoder.flush(), qwen.decode(partial));
  });

  it('stays linear: a long stream decodes only a small window per token', () => {
    const long = '这是一个很长的中文句子，包含表情🙂和 accents café。'.repeat(200);
    const ids = qwen.encode(long);
    // Counted, not timed: every token the tokenizer is asked to decode while streaming.
    const tokenizer = (qwen as unknown as { tokenizer: { decode: (ids: number[], options: unknown) => string } }).tokenizer;
    const decode = tokenizer.decode.bind(tokenizer);
    let decoded = 0;
    tokenizer.decode = (window, options) => {
      decoded += window.length;
      return decode(window, options);
    };
    try {
      assert.equal(stream(qwen, ids).join(''), long);
    } finally {
      tokenizer.decode = decode;
    }
    // A decoder that re-decoded everything so far would ask for about ids² / 2 tokens.
    assert.ok(decoded < 8 * ids.length, `${decoded} tokens decoded for a stream of ${ids.length}`);
  });
});

describe('sampler', () => {
  const greedy: SamplingParams = { temperature: 0, topP: 1, topK: 0 };
  const probsToLogits = (p: number[]): Float32Array => Float32Array.from(p, (x) => Math.log(x));

  function frequencies(logits: Float32Array, params: SamplingParams, draws: number, seed = 7): number[] {
    const rng = createRng(seed);
    const counts = new Array<number>(logits.length).fill(0);
    for (let i = 0; i < draws; i++) {
      const t = sampleToken(logits, 0, logits.length, params, rng);
      counts[t] = (counts[t] ?? 0) + 1;
    }
    return counts.map((c) => c / draws);
  }

  function randomLogits(n: number, seed: number): Float32Array {
    const rng = createRng(seed);
    return Float32Array.from({ length: n }, () => (rng() - 0.5) * 20);
  }

  it('creates deterministic uniform generators', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.03, String(mean));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, createRng(43)));
    assert.notDeepEqual(Array.from({ length: 5 }, createRng(1)), Array.from({ length: 5 }, createRng(2 ** 32 + 1)));
  });

  it('is argmax at temperature 0, lowest index on ties, reading the slice at offset', () => {
    const rng = createRng(1);
    assert.equal(sampleToken(Float32Array.from([1, 3, 3, 2]), 0, 4, greedy, rng), 1);
    const rows = Float32Array.from([9, 0, 0, 0, /* row 2 */ 0, 1, 5, 5]);
    assert.equal(sampleToken(rows, 4, 4, greedy, rng), 2);
    assert.equal(sampleToken(Float32Array.from([NaN, -1, -2]), 0, 3, greedy, rng), 1);
    assert.throws(() => sampleToken(rows, 6, 4, greedy, rng), RangeError);
  });

  it('is deterministic for a seed', () => {
    const logits = randomLogits(1000, 3);
    const params = { temperature: 1.5, topP: 0.95, topK: 50 };
    const run = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 200 }, () => sampleToken(logits, 0, 1000, params, rng));
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });

  it('equals greedy with top_k = 1 or a tiny top_p', () => {
    const rng = createRng(5);
    for (let s = 0; s < 20; s++) {
      const logits = randomLogits(500, s);
      const best = sampleToken(logits, 0, 500, greedy, rng);
      assert.equal(sampleToken(logits, 0, 500, { temperature: 2, topP: 1, topK: 1 }, rng), best);
      assert.equal(sampleToken(logits, 0, 500, { temperature: 2, topP: 1e-9, topK: 0 }, rng), best);
      assert.equal(sampleToken(logits, 0, 500, { temperature: 2, topP: 1e-9, topK: 40 }, rng), best);
    }
  });

  it('draws from softmax(logits / temperature), then top_k, then top_p', () => {
    const logits = probsToLogits([0.5, 0.3, 0.2]);
    const close = (got: number[], want: number[]): void => {
      for (const [i, w] of want.entries()) assert.ok(Math.abs((got[i] ?? 0) - w) < 0.015, `${got} vs ${want}`);
    };
    close(frequencies(logits, { temperature: 1, topP: 1, topK: 0 }, 40_000), [0.5, 0.3, 0.2]);
    const s = Math.sqrt(0.5) + Math.sqrt(0.3) + Math.sqrt(0.2);
    close(frequencies(logits, { temperature: 2, topP: 1, topK: 0 }, 40_000), [Math.sqrt(0.5) / s, Math.sqrt(0.3) / s, Math.sqrt(0.2) / s]);
    close(frequencies(logits, { temperature: 1, topP: 1, topK: 2 }, 40_000), [0.625, 0.375, 0]);
    close(frequencies(logits, { temperature: 1, topP: 0.7, topK: 0 }, 40_000), [0.625, 0.375, 0]);
    close(frequencies(logits, { temperature: 1, topP: 0.5, topK: 0 }, 10_000), [1, 0, 0]);
    // top_p measured after top_k renormalised: 0.5/0.8 = 0.625 >= 0.6 keeps one token
    close(frequencies(logits, { temperature: 1, topP: 0.6, topK: 2 }, 10_000), [1, 0, 0]);
  });

  it('keeps exactly the top_p nucleus that a full sort would keep', () => {
    for (let s = 0; s < 3; s++) {
      const vocab = 2000;
      const logits = randomLogits(vocab, 100 + s);
      for (const [topP, topK] of [[0.9, 0], [0.5, 0], [0.9, 200]] as const) {
        const temperature = 0.8;
        const order = Array.from({ length: vocab }, (_, i) => i).sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
        const head = topK > 0 ? order.slice(0, topK) : order;
        const w = head.map((i) => Math.exp(((logits[i] as number) - (logits[order[0] as number] as number)) / temperature));
        const total = w.reduce((a, b) => a + b, 0);
        const allowed = new Set<number>();
        let cum = 0;
        for (const [j, i] of head.entries()) {
          allowed.add(i);
          cum += w[j] as number;
          if (cum >= topP * total) break;
        }
        const rng = createRng(s);
        const seen = new Set<number>();
        for (let d = 0; d < 1500; d++) {
          const t = sampleToken(logits, 0, vocab, { temperature, topP, topK }, rng);
          assert.ok(allowed.has(t), `token ${t} is outside the nucleus of ${allowed.size}`);
          seen.add(t);
        }
        assert.ok(seen.size > allowed.size / 2, `${seen.size} of ${allowed.size} seen`);
      }
    }
  });

  // Its speed is the onnx bench's business (decode steps per second), not a timed assertion here.
  it('samples within a 150k vocabulary, and top_k picks from the head', () => {
    const vocab = 151_936;
    const logits = randomLogits(vocab, 9);
    const rng = createRng(1);
    const best = sampleToken(logits, 0, vocab, greedy, rng);
    for (const params of [
      { temperature: 0.7, topP: 0.9, topK: 50 },
      { temperature: 0.7, topP: 0.8, topK: 0 },
      { temperature: 1, topP: 1, topK: 0 },
    ]) {
      for (let i = 0; i < 10; i++) {
        const t = sampleToken(logits, 0, vocab, params, rng);
        assert.ok(t >= 0 && t < vocab);
      }
    }
    // A peaked distribution with top_k picks from the head.
    logits[best] = 1000;
    assert.equal(sampleToken(logits, 0, vocab, { temperature: 1, topP: 0.9, topK: 50 }, rng), best);
  });
});
