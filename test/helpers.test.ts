import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { defaultReply, gate, sequence, startFakeOpenAI } from './helpers/fake-openai.js';
import { FakeClock, settle } from './helpers/fake-clock.js';
import type { FakeOpenAI } from './helpers/fake-openai.js';
import { makeFixtureSet, makeImage, makeLargeJpeg } from './helpers/images.js';

let dir: string;
let fx: Record<string, string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'glmv-helpers-'));
  fx = await makeFixtureSet(join(dir, 'fixtures'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function chatBody(image: Buffer, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model: 'm1',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe.' },
          { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${image.toString('base64')}` } },
        ],
      },
    ],
    ...extra,
  });
}

function post(srv: FakeOpenAI, body: string, init: RequestInit = {}, path = '/chat/completions'): Promise<Response> {
  return fetch(srv.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body, ...init });
}

describe('fake-openai', () => {
  let srv: FakeOpenAI;
  let img: Buffer;
  before(async () => {
    srv = await startFakeOpenAI();
    img = await readFile(fx['plain.jpg']!);
  });
  after(() => srv.close());

  test('records image hash and returns a deterministic default answer', async () => {
    const res = await post(srv, chatBody(img));
    assert.equal(res.status, 200);
    const json = (await res.json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const rec = srv.chatRequests().at(-1)!;
    assert.equal(rec.imageSha256, sha256(img));
    assert.equal(rec.imageBytes, img.length);
    assert.equal(rec.body.model, 'm1');
    assert.equal(json.object, 'chat.completion');
    assert.equal(json.model, 'm1');
    assert.equal(json.choices[0].finish_reason, 'stop');
    assert.equal(json.choices[0].message.role, 'assistant');
    assert.equal(json.choices[0].message.content, `Description of image ${sha256(img).slice(0, 12)}.`);
    assert.deepEqual(json.usage, { prompt_tokens: 100, completion_tokens: 20 });
  });

  test('json_schema default reply satisfies the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        kind: { type: 'string', enum: ['photo', 'drawing'] },
        tags: { type: 'array', items: { type: 'string' } },
        count: { type: 'integer' },
        score: { type: 'number' },
        ok: { type: 'boolean' },
        meta: { type: 'object', properties: { where: { type: 'string' } } },
      },
      required: ['title', 'kind', 'tags', 'count', 'score', 'ok', 'meta'],
      additionalProperties: false,
    };
    const res = await post(srv, chatBody(img, { response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }));
    const json = (await res.json()) as { choices: { message: { content: string } }[] };
    const obj = JSON.parse(json.choices[0]!.message.content);
    const h8 = sha256(img).slice(0, 8);
    assert.equal(obj.title, `title of ${h8}`);
    assert.equal(obj.kind, 'photo');
    assert.equal(obj.tags.length, 2);
    assert.ok(obj.tags.every((t: unknown) => typeof t === 'string'));
    assert.equal(obj.count, 1);
    assert.equal(obj.score, 1);
    assert.equal(obj.ok, true);
    assert.equal(obj.meta.where, `where of ${h8}`);
  });

  test('answer overrides: reasoning field, null content, finish reason', async () => {
    srv.setHandler(
      sequence([
        { type: 'answer', content: null, reasoning: 'thinking', reasoningField: 'reasoning', finishReason: 'length' },
        { type: 'answer', content: 'hi', reasoning: 'r2' },
      ]),
    );
    try {
      const a = (await (await post(srv, chatBody(img))).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(a.choices[0].message.content, null);
      assert.equal(a.choices[0].message.reasoning, 'thinking');
      assert.equal(a.choices[0].finish_reason, 'length');
      const b = (await (await post(srv, chatBody(img))).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(b.choices[0].message.content, 'hi');
      assert.equal(b.choices[0].message.reasoning_content, 'r2');
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('sequence replies in order then falls back', async () => {
    srv.setHandler(
      sequence([
        { type: 'status', status: 500 },
        { type: 'answer', content: 'second' },
      ]),
    );
    try {
      const r1 = await post(srv, chatBody(img));
      assert.equal(r1.status, 500);
      assert.ok(((await r1.json()) as { error: unknown }).error);
      const r2 = (await (await post(srv, chatBody(img))).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(r2.choices[0].message.content, 'second');
      const r3 = (await (await post(srv, chatBody(img))).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.match(r3.choices[0].message.content, /^Description of image [0-9a-f]{12}\.$/);
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('status 429 with retry-after header', async () => {
    srv.setHandler(() => ({ type: 'status', status: 429, headers: { 'retry-after': '1' } }));
    try {
      const res = await post(srv, chatBody(img));
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '1');
      await res.json();
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('reset rejects on fetch or body read, and is still recorded', async () => {
    srv.setHandler(() => ({ type: 'reset' }));
    const before = srv.chatRequests().length;
    try {
      await assert.rejects(async () => {
        const res = await post(srv, chatBody(img));
        await res.text();
      });
      assert.equal(srv.chatRequests().length, before + 1);
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('hang never replies (client timeout aborts)', async () => {
    const first = srv.chatRequests().length;
    srv.setHandler((req, index) => (index === first ? { type: 'hang' } : defaultReply(req)));
    try {
      // The client's timeout is ours to fire: after a later request has been answered.
      const client = new AbortController();
      let settled = false;
      const hung = post(srv, chatBody(img), { signal: client.signal }).finally(() => (settled = true));
      hung.catch(() => undefined);
      await srv.requestsReached(first + 1);
      await (await post(srv, chatBody(img))).text();
      assert.equal(settled, false, 'the hanging request got a reply');
      client.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
      await assert.rejects(hung, { name: 'TimeoutError' });
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('delay waits, then replies', async () => {
    // The server's timers run on a fake clock: the test moves time.
    const clock = new FakeClock();
    const s2 = await startFakeOpenAI({ timers: clock, handler: () => ({ type: 'delay', ms: 150, then: { type: 'answer', content: 'late' } }) });
    try {
      let settled = false;
      const reply = post(s2, chatBody(img)).finally(() => (settled = true));
      await s2.requestsReached(1);
      await settle();
      assert.deepEqual(clock.pending(), [150], 'the reply waits 150 ms');
      clock.advance(149);
      await settle();
      assert.deepEqual(clock.pending(), [150], 'replied before 150 ms');
      assert.equal(settled, false);
      clock.advance(1);
      const json = (await (await reply).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.ok(clock.now() >= 140);
      assert.equal(json.choices[0].message.content, 'late');
    } finally {
      await s2.close();
    }
  });

  test('invalid-json', async () => {
    srv.setHandler(() => ({ type: 'invalid-json' }));
    try {
      const res = await post(srv, chatBody(img));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      await assert.rejects(res.json(), SyntaxError);
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('truncated-body rejects on body read', async () => {
    srv.setHandler(() => ({ type: 'truncated-body' }));
    try {
      const res = await post(srv, chatBody(img));
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('/models lists models; unknown route 404', async () => {
    const res = await fetch(`${srv.url}/models`);
    assert.deepEqual(await res.json(), {
      object: 'list',
      data: [{ id: 'test-model', object: 'model', created: 0, owned_by: 'vllm' }],
    });
    assert.equal(srv.requests.at(-1)!.path, '/v1/models');
    assert.ok(!srv.chatRequests().some((r) => r.path.endsWith('/models')));
    const nf = await fetch(`${srv.url}/nope`);
    assert.equal(nf.status, 404);
    assert.ok(((await nf.json()) as { error: unknown }).error);
  });

  test('custom models option', async () => {
    const s2 = await startFakeOpenAI({ models: [{ id: 'a' }, { id: 'b', owned_by: 'me' }] });
    try {
      const json = (await (await fetch(`${s2.url}/models`)).json()) as { data: { id: string; owned_by: string }[] };
      assert.deepEqual(
        json.data.map((m) => [m.id, m.owned_by]),
        [
          ['a', 'vllm'],
          ['b', 'me'],
        ],
      );
    } finally {
      await s2.close();
    }
  });

  test('/infer uses the same reply logic with {output}', async () => {
    const base = srv.url.replace(/\/v1$/, '');
    const res = await fetch(`${base}/glmocr/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ image: img.toString('base64') }),
    });
    const rec = srv.chatRequests().at(-1)!;
    assert.equal(rec.path, '/glmocr/infer');
    assert.equal(rec.imageSha256, sha256(img));
    assert.deepEqual(await res.json(), { output: `Description of image ${sha256(img).slice(0, 12)}.` });

    srv.setHandler(sequence([{ type: 'answer', content: 'ocr text' }, { type: 'status', status: 503 }]));
    try {
      const a = await fetch(`${base}/infer`, { method: 'POST', body: JSON.stringify({ image: `data:image/jpeg;base64,${img.toString('base64')}` }) });
      assert.deepEqual(await a.json(), { output: 'ocr text' });
      assert.equal(srv.chatRequests().at(-1)!.imageSha256, sha256(img));
      const b = await fetch(`${base}/infer`, { method: 'POST', body: '{}' });
      assert.equal(b.status, 503);
      await b.text();
    } finally {
      srv.setHandler(defaultReply);
    }
  });

  test('handles 200 concurrent requests', async () => {
    // Every reply is held until all 200 requests are in: they are provably in flight together.
    const allIn = gate();
    const s2 = await startFakeOpenAI({ handler: () => ({ type: 'hold', until: allIn.opened }) });
    try {
      const small = Buffer.from('abc');
      const pending = Promise.all(
        Array.from({ length: 200 }, async () => {
          const res = await post(s2, chatBody(small));
          return res.status;
        }),
      );
      await s2.requestsReached(200);
      allIn.open();
      const results = await pending;
      assert.ok(results.every((s) => s === 200));
      assert.equal(s2.chatRequests().length, 200);
      assert.ok(s2.chatRequests().every((r) => r.imageSha256 === sha256(small)));
    } finally {
      await s2.close();
    }
  });

  test('close() ends hanging requests', async () => {
    const s2 = await startFakeOpenAI({ handler: () => ({ type: 'hang' }) });
    const pending = post(s2, chatBody(img));
    await s2.requestsReached(1);
    await s2.close();
    await assert.rejects(pending);
  });
});

describe('images', () => {
  test('fixture set metadata', async () => {
    const names = [
      'plain.jpg', 'plain.png', 'plain.webp', 'cmyk.jpg', 'sixteen-bit.png', 'gray-alpha.png',
      'exif-rotated.jpg', 'truncated.jpg', 'zero.jpg', 'text.jpg', 'tiny.png',
    ];
    assert.deepEqual(Object.keys(fx).sort(), [...names].sort());

    const plain = await sharp(fx['plain.jpg']!).metadata();
    assert.equal(plain.format, 'jpeg');
    assert.equal(plain.width, 640);
    assert.equal(plain.height, 480);
    assert.equal((await sharp(fx['plain.png']!).metadata()).format, 'png');
    assert.equal((await sharp(fx['plain.webp']!).metadata()).format, 'webp');
    assert.equal((await sharp(fx['cmyk.jpg']!).metadata()).space, 'cmyk');
    assert.equal((await sharp(fx['sixteen-bit.png']!).metadata()).depth, 'ushort');
    const ga = await sharp(fx['gray-alpha.png']!).metadata();
    assert.equal(ga.channels, 2);
    assert.equal(ga.hasAlpha, true);
    const rot = await sharp(fx['exif-rotated.jpg']!).metadata();
    assert.equal(rot.orientation, 6);
    assert.equal(rot.width, 300);
    assert.equal(rot.height, 200);
    const shown = await sharp(fx['exif-rotated.jpg']!).rotate().toBuffer({ resolveWithObject: true });
    assert.equal(shown.info.width, 200);
    assert.equal(shown.info.height, 300);
    const tiny = await sharp(fx['tiny.png']!).metadata();
    assert.equal(tiny.width, 1);
    assert.equal(tiny.height, 1);

    assert.equal((await stat(fx['zero.jpg']!)).size, 0);
    assert.ok((await readFile(fx['text.jpg']!, 'utf8')).length > 0);
    await assert.rejects(sharp(fx['text.jpg']!).metadata());
    await assert.rejects(sharp(fx['zero.jpg']!).metadata());
    await assert.rejects(sharp(fx['truncated.jpg']!).toBuffer());
    const trunc = (await stat(fx['truncated.jpg']!)).size;
    assert.ok(trunc > 0 && trunc < (await stat(fx['plain.jpg']!)).size);
  });

  test('makeImage is deterministic and seed-dependent across formats', async () => {
    const a1 = join(dir, 'a1.png');
    const a2 = join(dir, 'a2.png');
    const b = join(dir, 'b.png');
    await makeImage(a1, { width: 50, height: 40, format: 'png', seed: 1 });
    await makeImage(a2, { width: 50, height: 40, format: 'png', seed: 1 });
    await makeImage(b, { width: 50, height: 40, format: 'png', seed: 2 });
    assert.equal(sha256(await readFile(a1)), sha256(await readFile(a2)));
    assert.notEqual(sha256(await readFile(a1)), sha256(await readFile(b)));
    for (const format of ['jpeg', 'webp', 'tiff', 'gif', 'avif'] as const) {
      const p = join(dir, `f.${format}`);
      await makeImage(p, { width: 64, height: 48, format, seed: 3, quality: 70 });
      const m = await sharp(p).metadata();
      assert.equal(m.format, format === 'avif' ? 'heif' : format);
      assert.equal(m.width, 64);
    }
  });

  // Its speed shows in the bench's fixture generation, not here: a timed assertion fails on a busy machine.
  test('makeLargeJpeg: 12 MP, realistic size', async () => {
    const p = join(dir, 'large.jpg');
    await makeLargeJpeg(p, 12, 1);
    const m = await sharp(p).metadata();
    assert.equal(m.width, 4000);
    assert.equal(m.height, 3000);
    const size = (await stat(p)).size;
    assert.ok(size > 2e6 && size < 5e6, `size ${size}`);
  });
});
