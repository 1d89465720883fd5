// The pieces between the pipeline and the model: patch arrays parked in the
// model worker, decode-step buffers, and the ONNX argmax used for greedy decoding.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Argmax } from '../src/backends/onnx/argmax.js';
import { HeldImages } from '../src/backends/onnx/held-images.js';
import { createRng, sampleToken } from '../src/backends/onnx/sampler.js';
import { compactRows, StepBuffers } from '../src/backends/onnx/step-buffers.js';

describe('held images', () => {
  it('hands out pixels whether they arrive before or after the request', async () => {
    const held = new HeldImages();
    const early = new Float32Array([1, 2]);
    held.put(1, early);
    assert.equal(await held.get(1), early);
    const waiting = held.get(2);
    const late = new Float32Array([3]);
    held.put(2, late);
    assert.equal(await waiting, late);
    assert.equal(await held.get(2), late, 'asked again (a retry) before release: still there');
  });

  it('release frees the pixels, drops ones that arrive after it, and fails a request still waiting', async () => {
    const held = new HeldImages();
    held.put(1, new Float32Array(4));
    held.release(1);
    assert.equal(held.size, 0);
    held.release(2);
    held.put(2, new Float32Array(4));
    assert.equal(held.size, 0, 'pixels released before they arrived are not kept');
    const waiting = held.get(3);
    held.release(3);
    await assert.rejects(waiting, /image 3 was released/);
  });
});

describe('decode-step buffers', () => {
  const shape = { present: ['present.0.key'], kvType: 'float32' as const, kvHeads: 2, headDim: 3, logitsType: 'float32' as const, vocab: 5 };

  it('alternates between two sets, so a step never writes the buffer its past is read from', () => {
    const buffers = new StepBuffers(shape);
    const a = buffers.next(4, 10);
    const b = buffers.next(4, 11);
    const c = buffers.next(3, 12);
    const buf = (t: Record<string, ort.Tensor>): ArrayBufferLike => (t['present.0.key']?.data as Float32Array).buffer;
    assert.notEqual(buf(a), buf(b));
    assert.equal(buf(c), buf(a), 'the third step reuses the first set (grown in place when needed)');
    assert.deepEqual(a['present.0.key']?.dims, [4, 2, 10, 3]);
    assert.deepEqual(c.logits?.dims, [3, 1, 5]);
  });

  it('compactRows keeps the chosen rows in order, in place', () => {
    const data = Float32Array.from({ length: 4 * 6 }, (_, i) => i);
    const t = new ort.Tensor('float32', data, [4, 2, 3]);
    const kept = compactRows(t, [1, 3]);
    assert.deepEqual(kept.dims, [2, 2, 3]);
    assert.deepEqual(Array.from(kept.data as Float32Array), [6, 7, 8, 9, 10, 11, 18, 19, 20, 21, 22, 23]);
    assert.equal((kept.data as Float32Array).buffer, data.buffer);
    assert.equal(compactRows(t, [0, 1, 2, 3]), t);
  });
});

describe('argmax graph', () => {
  it('picks what the JS greedy scan picks, the first index on ties, for each row', async () => {
    const argmax = await Argmax.create('float32');
    const rng = createRng(3);
    const vocab = 1000;
    const logits = Float32Array.from({ length: 3 * 2 * vocab }, () => Math.round(rng() * 50) / 10);
    // Row 1's last position: a tie between two maxima.
    logits.fill(0, 3 * vocab, 4 * vocab);
    logits[3 * vocab + 7] = 9;
    logits[3 * vocab + 900] = 9;
    const picks = await argmax.last(new ort.Tensor('float32', logits, [3, 2, vocab]));
    const greedy = { temperature: 0, topP: 1, topK: 0 };
    assert.deepEqual(picks, [0, 1, 2].map((b) => sampleToken(logits, (b * 2 + 1) * vocab, vocab, greedy, rng)));
    assert.equal(picks[1], 7);
  });
});
