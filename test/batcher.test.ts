// The dynamic batcher: who rides together, and when a partial batch leaves.
// Time is a FakeClock: the tests move it, so nothing depends on how fast they run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from '../src/backends/onnx/batcher.js';
import { FakeClock, settle } from './helpers/fake-clock.js';

interface Item { key: string; visualTokens: number; name: string }
const item = (name: string, key = 'a', visualTokens = 10): Item => ({ name, key, visualTokens });

function recorder(options: { batchSize: number; tokenBudget: number; waitMs: number }) {
  const clock = new FakeClock();
  const batches: string[][] = [];
  /** The fake clock's time when each batch started. */
  const startedAt: number[] = [];
  let release: (() => void) | undefined;
  let gate = new Promise<void>((r) => (release = r));
  const batcher = new Batcher<Item, string>(async (items) => {
    batches.push(items.map((i) => i.name));
    startedAt.push(clock.now());
    await gate;
    return items.map((i) => `done ${i.name}`);
  }, options, clock.now, clock);
  return {
    batcher, batches, startedAt, clock,
    open: () => {
      release?.();
      gate = Promise.resolve();
    },
  };
}

describe('Batcher', () => {
  it('runs a full batch at once, grouping equal shapes first', async () => {
    const { batcher, batches, open } = recorder({ batchSize: 3, tokenBudget: 1000, waitMs: 10_000 });
    const results = [item('a1'), item('b1', 'b'), item('a2'), item('a3'), item('b2', 'b')].map((i) => batcher.submit(i));
    for (const r of results) r.catch(() => undefined);
    open();
    assert.equal(await results[0], 'done a1');
    assert.deepEqual(batches[0], ['a1', 'a2', 'a3']);
    batcher.close(new Error('end'));
    await assert.rejects(results[4] as Promise<string>, /end/, 'close() rejects what still waits');
  });

  it('waits for company, then runs a partial batch after waitMs', async () => {
    const { batcher, batches, startedAt, clock, open } = recorder({ batchSize: 8, tokenBudget: 1000, waitMs: 30 });
    open();
    const r = batcher.submit(item('x'));
    await settle();
    assert.deepEqual(clock.pending(), [30], 'the partial batch waits waitMs from the oldest request');
    clock.advance(5);
    await settle();
    assert.equal(batches.length, 0, 'ran before waitMs');
    void batcher.submit(item('y', 'other'));
    await settle();
    clock.advance(24);
    await settle();
    assert.equal(batches.length, 0, 'ran before waitMs');
    clock.advance(1);
    assert.equal(await r, 'done x');
    assert.ok((startedAt[0] as number) >= 25);
    assert.deepEqual(startedAt, [30], 'the batch left when the oldest request had waited waitMs');
    assert.deepEqual(batches[0], ['x', 'y'], 'different shapes fill a partial batch');
  });

  it('respects the visual-token budget but always lets one request through', async () => {
    const { batcher, batches, open } = recorder({ batchSize: 8, tokenBudget: 100, waitMs: 0 });
    open();
    await Promise.all([batcher.submit(item('big', 'a', 500)), batcher.submit(item('s1', 'a', 60)), batcher.submit(item('s2', 'a', 60))]);
    assert.deepEqual(batches[0], ['big']);
    assert.ok(batches.flat().length === 3);
    assert.ok(batches.every((b) => b.length <= 2));
  });

  it('one batch at a time: later requests form the next batch', async () => {
    const { batcher, batches, open } = recorder({ batchSize: 2, tokenBudget: 1000, waitMs: 0 });
    const all = ['1', '2', '3', '4', '5'].map((n) => batcher.submit(item(n)));
    // Every queued step has run; the first batch is still held by the gate.
    await settle();
    assert.equal(batches.length, 1);
    open();
    await Promise.all(all);
    assert.deepEqual(batches, [['1', '2'], ['3', '4'], ['5']]);
  });
});
