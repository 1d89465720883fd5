// `glm-vision message`: the scripts' messages in the user's language, strict about names and values;
// and every call in the example scripts names a message that exists, with exactly its values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { en } from '../src/i18n/catalogs.js';
import { ROOT, runMain } from './helpers/cli.js';

const EN = { LANG: 'en_US.UTF-8' };
const ZH = { LANG: 'zh_CN.UTF-8' };

describe('glm-vision message', () => {
  it('prints the message with its values, in the language of the locale or --lang', async () => {
    const args = ['message', 'cron.start', 'archive=/srv/照片', 'catalog=/srv/c.jsonl'];
    const res = await runMain(args, { env: EN });
    assert.deepEqual([res.code, res.stdout, res.stderr], [0, 'start: /srv/照片 -> /srv/c.jsonl\n', '']);
    assert.equal((await runMain(args, { env: ZH })).stdout, '开始：/srv/照片 → /srv/c.jsonl\n');
    assert.equal((await runMain([...args, '--lang', 'zh'], { env: EN })).stdout, '开始：/srv/照片 → /srv/c.jsonl\n');
  });

  it('count= picks the plural form', async () => {
    const say = async (count: string, env = EN): Promise<string> => (await runMain(['message', 'cron.temporary', `count=${count}`], { env })).stdout;
    assert.match(await say('1'), /, 1 night in a row:/);
    assert.match(await say('2'), /, 2 nights in a row:/);
    assert.match(await say('2', ZH), /已连续 2 晚/);
  });

  it('a value may hold "=" and spaces; it is printed as given', async () => {
    const res = await runMain(['message', 'cron.other.body', 'status=42', 'log=/var/log/a b=c.log'], { env: EN });
    assert.equal(res.stdout, 'glm-vision failed with exit 42. Nothing was published. See /var/log/a b=c.log.\n');
  });

  const BAD: [string, string[], RegExp][] = [
    ['a misspelt name gets a suggestion', ['cron.tmporary', 'count=1'], /^glm-vision: Unknown message "cron\.tmporary"\. Did you mean "cron\.temporary"\?\n$/],
    ['an unknown name lists the names', ['nothing'], /^glm-vision: Unknown message "nothing"\. Messages: cron\.start, cron\.ok, /],
    ['a value the message has no place for', ['cron.start', 'archive=/a', 'catalg=/b'], /Expected NAME=VALUE with a NAME of message cron\.start \(archive, catalog\) but received "catalg=\/b"/],
    ['a value without NAME=', ['cron.ok', '/a'], /received "\/a"/],
    ['a missing value', ['cron.start', 'archive=/a'], /^glm-vision: Message cron\.start needs a value for catalog\n$/],
    ['a count that is not a number', ['cron.temporary', 'count=two'], /Expected a whole number for count= of message cron\.temporary but received "two"/],
  ];
  for (const [what, args, error] of BAD) {
    it(`exit 2: ${what}`, async () => {
      const res = await runMain(['message', ...args], { env: EN });
      assert.equal(res.code, 2);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, error);
    });
  }

  it('errors in Chinese under a Chinese locale', async () => {
    const res = await runMain(['message', 'cron.start', 'archive=/a'], { env: ZH });
    assert.equal(res.code, 2);
    assert.equal(res.stderr, 'glm-vision: 消息 cron.start 缺少以下值：catalog\n');
  });
});

describe('the example scripts\' messages', () => {
  /** NAME → its placeholders, from the English catalog (plural forms folded). */
  const known = new Map<string, Set<string>>();
  for (const [key, text] of Object.entries(en.scripts)) {
    const name = key.replace(/_(one|other)$/, '');
    const slots = known.get(name) ?? new Set<string>();
    for (const m of text.matchAll(/\{\{(\w+)\}\}/g)) slots.add(m[1] as string);
    known.set(name, slots);
  }

  async function calls(): Promise<{ file: string; name: string; keys: string[] }[]> {
    const found: { file: string; name: string; keys: string[] }[] = [];
    const dir = path.join(ROOT, 'examples');
    for (const entry of await readdir(dir, { recursive: true })) {
      if (!entry.endsWith('.sh')) continue;
      const text = await readFile(path.join(dir, entry), 'utf8');
      for (const m of text.matchAll(/\b(?:say|log) (cron\.[\w.]+)((?: \w+="[^"]*")*)/g)) {
        found.push({ file: entry, name: m[1] as string, keys: [...(m[2] ?? '').matchAll(/ (\w+)=/g)].map((k) => k[1] as string) });
      }
    }
    return found;
  }

  it('each call names a message with exactly its values, and each message is used', async () => {
    const used = new Set<string>();
    const all = await calls();
    assert.ok(all.length >= 30, `only ${all.length} calls found: has the script's say/log changed?`);
    for (const { file, name, keys } of all) {
      const slots = known.get(name);
      assert.ok(slots, `${file}: ${name} is not in src/i18n/en/scripts.ts`);
      assert.deepEqual([...keys].sort(), [...slots].sort(), `${file}: ${name}`);
      used.add(name);
    }
    assert.deepEqual([...known.keys()].filter((n) => !used.has(n)), [], 'messages no script uses');
  });
});
