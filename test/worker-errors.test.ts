// Stable error codes, the exit codes they map to, and errors crossing worker
// threads: each class must arrive as itself, with its message (and limit).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, it } from 'node:test';
import {
  APIConnectionError,
  APITimeoutError,
  BadRequestError,
  ConfigurationError,
  ConflictError,
  ContentFilterError,
  InternalServerError,
  InvalidResponseError,
  RateLimitError,
} from '../src/backends/openai/index.js';
import { HubUnreachable } from '../src/models/hub-client.js';
import {
  DocumentLimit,
  ExitCode,
  FileFailure,
  NoInput,
  TemporaryFailure,
  TransientFileFailure,
  UsageError,
  exitCodeFor,
} from '../src/support/errors.js';
import { reviveError, serializeError, type SerializedError } from '../src/support/worker-errors.js';

describe('error codes', () => {
  it('each class of support/errors.ts has its stable code, and keeps its name', () => {
    const cases: [Error & { code: string }, string, string][] = [
      [new UsageError('m'), 'usage', 'UsageError'],
      [new NoInput('m'), 'no_input', 'NoInput'],
      [new TemporaryFailure('m'), 'temporary_failure', 'TemporaryFailure'],
      [new FileFailure('m'), 'file_failure', 'FileFailure'],
      [new DocumentLimit('m', 'cpu'), 'document_limit', 'DocumentLimit'],
      // Shown to users as a FileFailure; only the code tells it apart.
      [new TransientFileFailure('m'), 'transient_file_failure', 'FileFailure'],
      [new HubUnreachable('m'), 'hub_unreachable', 'HubUnreachable'],
    ];
    for (const [error, code, name] of cases) {
      assert.equal(error.code, code, name);
      assert.equal(error.name, name);
      assert.equal(error.message, 'm');
    }
  });

  it('each error of the openai backend has its stable code; the Zhipu code is businessCode', () => {
    const info = { kind: 'rate_limit' as const, endpoint: 'http://a.test/v1', status: 429, code: '1302' };
    const cases: [Error & { code: string }, string][] = [
      [new APIConnectionError(info, 1), 'connection'],
      [new APITimeoutError(info, 1), 'timeout'],
      [new RateLimitError(info, 1), 'rate_limit'],
      [new ConflictError(info, 1), 'conflict'],
      [new InternalServerError(info, 1), 'server'],
      [new BadRequestError(info, 1), 'bad_request'],
      [new ContentFilterError(info, 1), 'content_filter'],
      [new InvalidResponseError(info, 1), 'invalid_response'],
    ];
    for (const [error, code] of cases) {
      assert.equal(error.code, code, error.name);
      assert.ok(error instanceof FileFailure);
    }
    assert.equal(new RateLimitError(info, 3).businessCode, '1302');
    assert.equal(new RateLimitError(info, 3).message, 'HTTP 429 from http://a.test/v1 after 3 attempts: 1302');
    const config = new ConfigurationError({ code: 'model', endpoint: 'http://a.test/v1', problem: 'does not know the model x', fix: 'use --model y' });
    assert.equal(config.code, 'model');
    assert.equal(config.name, 'ConfigurationError');
  });

  it('exitCodeFor maps as before', () => {
    assert.equal(exitCodeFor(new UsageError('m')), ExitCode.usage);
    assert.equal(exitCodeFor(new ConfigurationError({ code: 'auth', endpoint: 'e', problem: 'p', fix: 'f' })), 2);
    assert.equal(exitCodeFor(new NoInput('m')), 66);
    assert.equal(exitCodeFor(new TemporaryFailure('m')), 75);
    assert.equal(exitCodeFor(new HubUnreachable('m')), 75);
    assert.equal(exitCodeFor(Object.assign(new Error('m'), { name: 'OutputError' })), 74);
    assert.equal(exitCodeFor(new FileFailure('m')), 70);
    assert.equal(exitCodeFor(new DocumentLimit('m', 'memory')), 70);
    assert.equal(exitCodeFor(new Error('m')), 70);
    assert.equal(exitCodeFor('not an error'), 70);
  });
});

/** What each kind of error must be once revived: its class, and no more specific one. */
const KINDS: Record<string, { make: string; check: (e: Error) => void }> = {
  usage: { make: "new errors.UsageError('bad flag')", check: (e) => assert.ok(e instanceof UsageError && e.message === 'bad flag') },
  noInput: { make: "new errors.NoInput('no such path')", check: (e) => assert.ok(e instanceof NoInput && e.message === 'no such path') },
  temporary: { make: "new errors.TemporaryFailure('later')", check: (e) => assert.ok(e instanceof TemporaryFailure && e.message === 'later') },
  file: {
    make: "new errors.FileFailure('not an image')",
    check: (e) => {
      assert.ok(e instanceof FileFailure && !(e instanceof TransientFileFailure) && !(e instanceof DocumentLimit));
      assert.equal(e.message, 'not an image');
    },
  },
  limit: {
    make: "new errors.DocumentLimit('page 3 used more than 5 s of CPU', 'cpu')",
    check: (e) => {
      assert.ok(e instanceof DocumentLimit);
      assert.equal(e.limit, 'cpu');
      assert.equal(e.message, 'page 3 used more than 5 s of CPU');
    },
  },
  transient: {
    make: "new errors.TransientFileFailure('the renderer stopped')",
    check: (e) => {
      assert.ok(e instanceof TransientFileFailure);
      assert.equal(e.name, 'FileFailure');
      assert.equal(e.message, 'the renderer stopped');
    },
  },
  sqlite: {
    make: "Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' })",
    check: (e) => {
      assert.ok(!(e instanceof FileFailure) && !(e instanceof UsageError) && !(e instanceof TemporaryFailure));
      assert.equal(e.name, 'SqliteError');
      assert.equal(e.message, 'database is locked');
      assert.equal((e as { code?: string }).code, 'SQLITE_BUSY');
    },
  },
  range: {
    make: "new RangeError('out of range')",
    check: (e) => {
      assert.equal(Object.getPrototypeOf(e), Error.prototype);
      assert.equal(e.name, 'RangeError');
      assert.equal(e.message, 'out of range');
    },
  },
  thrownString: {
    make: "'just a string'",
    check: (e) => {
      assert.equal(Object.getPrototypeOf(e), Error.prototype);
      assert.equal(e.message, 'just a string');
    },
  },
};

describe('errors across worker threads', () => {
  it('survive structuredClone as their class, message and limit', () => {
    const errors = [
      new UsageError('a'), new NoInput('b'), new TemporaryFailure('c'), new FileFailure('d'),
      new DocumentLimit('e', 'stall'), new TransientFileFailure('f'),
    ];
    for (const error of errors) {
      const back = reviveError(structuredClone(serializeError(error)));
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(error), error.constructor.name);
      assert.equal(back.message, error.message);
      assert.equal((back as { code?: string }).code, (error as { code?: string }).code);
      assert.equal(back.stack, error.stack, 'the stack is where it was thrown');
    }
    const limit = reviveError(structuredClone(serializeError(new DocumentLimit('e', 'memory'))));
    assert.ok(limit instanceof DocumentLimit && limit.limit === 'memory');
  });

  it('a subclass arrives as the class of support/errors.ts it extends', () => {
    const hub = reviveError(serializeError(new HubUnreachable('no route to the Hub')));
    assert.equal(Object.getPrototypeOf(hub), TemporaryFailure.prototype);
    assert.equal(hub.message, 'no route to the Hub');
    const config = reviveError(serializeError(new ConfigurationError({ code: 'model', endpoint: 'e', problem: 'p', fix: 'f' })));
    assert.equal(Object.getPrototypeOf(config), UsageError.prototype);
    const rate = reviveError(serializeError(new RateLimitError({ kind: 'rate_limit', endpoint: 'e', status: 429 }, 1)));
    assert.equal(Object.getPrototypeOf(rate), FileFailure.prototype);
    assert.equal(rate.message, 'HTTP 429 from e');
  });

  it('a DocumentLimit sent without a readable limit is still a FileFailure', () => {
    const wire: SerializedError = { name: 'DocumentLimit', code: 'document_limit', message: 'too big' };
    const back = reviveError(wire);
    assert.equal(Object.getPrototypeOf(back), FileFailure.prototype);
    assert.equal(back.message, 'too big');
  });

  it('survive a real worker thread, one of each kind', async () => {
    const errorsUrl = new URL('../src/support/errors.ts', import.meta.url).href;
    const wireUrl = new URL('../src/support/worker-errors.ts', import.meta.url).href;
    const makers = Object.entries(KINDS).map(([kind, { make }]) => `${JSON.stringify(kind)}: () => (${make})`).join(',\n');
    const dir = await mkdtemp(path.join(tmpdir(), 'glmv-worker-errors-'));
    // One module for both, so the worker has one copy of the classes.
    const both = path.join(dir, 'both.ts');
    await writeFile(both, `export * as errors from ${JSON.stringify(errorsUrl)};\nexport * as wire from ${JSON.stringify(wireUrl)};\n`);
    // The worker builds each error from the real classes and posts it as a worker does. tsx's
    // --import hook does not reach worker threads on Node 20, so it loads the sources with tsImport.
    const source = `
      import { parentPort } from 'node:worker_threads';
      const { tsImport } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
      const { errors, wire } = await tsImport(${JSON.stringify(both)}, import.meta.url);
      const makers = {${makers}};
      for (const [kind, make] of Object.entries(makers)) parentPort.postMessage({ kind, error: wire.serializeError(make()) });
      parentPort.postMessage({ done: true });`;
    const script = path.join(dir, 'worker.mjs');
    await writeFile(script, source);
    const worker = new Worker(script, { execArgv: [] });
    const received: { kind: string; error: SerializedError }[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        worker.on('message', (message: { done?: true; kind: string; error: SerializedError }) => {
          if (message.done) resolve();
          else received.push(message);
        });
        worker.on('error', reject);
      });
    } finally {
      await worker.terminate();
      await rm(dir, { recursive: true, force: true });
    }
    const seen: string[] = [];
    for (const { kind, error } of received) {
      const expected = KINDS[kind];
      assert.ok(expected, kind);
      expected.check(reviveError(error));
      seen.push(kind);
    }
    assert.deepEqual(seen, Object.keys(KINDS));
  });
});
