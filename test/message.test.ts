// `glm-vision message`: the scripts' messages in the user's language, strict about names and values;
// and every call in the example scripts names a message that exists, with exactly its values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { scriptMessages } from '../src/cli/message.js';
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
  /** NAME → its placeholders, as `glm-vision message` checks them. */
  const known = scriptMessages();
  /** Each script's prefix (cron., vllm., slurm.): the part of a name before its first dot. */
  const prefixes = [...new Set([...known.keys()].map((name) => name.split('.')[0] as string))];
  const names = `(?:${prefixes.join('|')})\\.[\\w.]+`;
  // A call: a helper (say, log, warn, or die with its exit status), the name, then KEY="VALUE"s.
  const CALL = new RegExp(`\\b(?:say|log|warn|die \\d+) (${names})((?: \\w+="[^"]*")*)`, 'g');
  // Any mention of a name outside a comment: each must be one of the calls above.
  const MENTION = new RegExp(`(?<![\\w./-])${names}`, 'g');

  interface Call { file: string; name: string; keys: string[] }
  async function scripts(): Promise<{ file: string; calls: Call[]; mentions: number }[]> {
    const found: { file: string; calls: Call[]; mentions: number }[] = [];
    const dir = path.join(ROOT, 'examples');
    for (const file of await readdir(dir, { recursive: true })) {
      if (!file.endsWith('.sh')) continue;
      const code = (await readFile(path.join(dir, file), 'utf8')).split('\n').filter((l) => !/^\s*#/.test(l)).join('\n');
      const calls = [...code.matchAll(CALL)].map((m) => ({
        file, name: m[1] as string, keys: [...(m[2] ?? '').matchAll(/ (\w+)=/g)].map((k) => k[1] as string),
      }));
      found.push({ file, calls, mentions: [...code.matchAll(MENTION)].length });
    }
    return found;
  }

  it('each call names a message with exactly its values, and each message is used', async () => {
    assert.deepEqual(prefixes.sort(), ['cron', 'slurm', 'vllm']);
    const used = new Set<string>();
    const all = await scripts();
    for (const { file, calls, mentions } of all) {
      assert.equal(calls.length, mentions, `${file}: a message name outside a say/log/warn/die call, or a value not written KEY="VALUE"`);
    }
    const calls = all.flatMap((s) => s.calls);
    for (const prefix of prefixes) {
      const found = calls.filter((c) => c.name.startsWith(`${prefix}.`)).length;
      const messages = [...known.keys()].filter((n) => n.startsWith(`${prefix}.`)).length;
      assert.ok(found >= messages, `${found} calls of ${prefix}.* found for ${messages} messages: have the script's helpers changed?`);
    }
    for (const { file, name, keys } of calls) {
      const slots = known.get(name);
      assert.ok(slots, `${file}: ${name} is not in src/i18n/en/scripts.ts`);
      assert.deepEqual([...keys].sort(), [...slots].sort(), `${file}: ${name}`);
      used.add(name);
    }
    assert.deepEqual([...known.keys()].filter((n) => !used.has(n)), [], 'messages no script uses');
  });
});
