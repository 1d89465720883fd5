// The progress bar in a real terminal: glm-vision runs in a tmux pane 60 and
// 120 columns wide against a loopback server that holds its answers; the test
// waits for the bar, presses Ctrl-C, releases the answers, waits for the exit
// and reads the screen. Every wait is on the pane's content or the server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { promisify } from 'node:util';
import stringWidth from 'string-width';
import { BIN, tempDir } from './helpers/cli.js';
import { gate, startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';
import { makeImage } from './helpers/images.js';

const run = promisify(execFile);
const TMUX = '/usr/bin/tmux';
const FILES = 6;

let dir: string;
let cleanup: () => Promise<void>;

before(async () => {
  ({ dir, cleanup } = await tempDir('glmv-tmux-'));
  for (let i = 0; i < FILES; i++) await makeImage(path.join(dir, 'in', `p${i}.jpg`), { width: 32, height: 32, seed: 40 + i });
});
after(() => cleanup());

/** One tmux server of our own (its own socket), so nothing else's sessions are touched. */
function tmux(socket: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TERM: 'xterm-256color' };
  return run(TMUX, ['-L', socket, '-f', '/dev/null', ...args], { env }).then((r) => r.stdout);
}

/**
 * Resolves with the pane's text once `test` accepts it. tmux tells nobody when
 * a pane changes, so this asks again after a short pause; there is no deadline
 * but the test runner's.
 */
async function until(ask: () => Promise<string>, test: (text: string) => boolean): Promise<string> {
  for (;;) {
    const text = await ask();
    if (test(text)) return text;
    await pause(50);
  }
}

/** The pane's text, its history included. */
function paneWhen(socket: string, test: (text: string) => boolean, joined = false): Promise<string> {
  return until(() => tmux(socket, 'capture-pane', '-p', '-S', '-', ...(joined ? ['-J'] : []), '-t', 'run'), test);
}

const BAR = /[█░]{10,} \d+\/\d+/;

describe('progress in a terminal (tmux)', { skip: existsSync(TMUX) ? false : `${TMUX} is not installed` }, () => {
  let server: FakeOpenAI;
  before(async () => {
    server = await startFakeOpenAI();
  });
  after(() => server.close());

  for (const columns of [60, 120]) {
    it(`${columns} columns: the bar fits, and the Ctrl-C notice prints whole above it`, async () => {
      const socket = `glmv-${process.pid}-${columns}`;
      const held = gate();
      server.setHandler(() => ({ type: 'hold', until: held.opened, then: { type: 'answer', content: 'a picture' } }));
      const cache = path.join(dir, `cache-${columns}.db`);
      const command = [
        process.execPath, BIN, 'catalog', path.join(dir, 'in'), '--no-config', '--endpoint', server.url, '--model', 'm',
        '--flavor', 'openai', '-j', '2', '--cache', cache, '-o', path.join(dir, `out-${columns}.csv`),
      ].map((a) => `'${a}'`).join(' ');
      await tmux(socket, 'new-session', '-d', '-s', 'run', '-x', String(columns), '-y', '40', command);
      try {
        await tmux(socket, 'set-option', '-t', 'run', 'remain-on-exit', 'on');
        const before = server.chatRequests().length;
        await server.requestsReached(before + 2);
        const drawn = await paneWhen(socket, (text) => BAR.test(text));
        assert.match(drawn, /\b0\/6\b/, drawn);
        assert.doesNotMatch(drawn, /ETA/, 'no ETA before anything is done');
        await tmux(socket, 'send-keys', '-t', 'run', 'C-c');
        await paneWhen(socket, (text) => /SIGINT/.test(text));
        held.open();
        // The pane's end (its terminal closed), not its exit status: tmux does not always reap the
        // process in time to know it (exit 130 after Ctrl-C is test/faults.test.ts's).
        await until(() => tmux(socket, 'display-message', '-p', '-t', 'run', '#{pane_dead}'), (s) => s.trim() === '1');
        const rows = await paneWhen(socket, () => true);
        const lines = (await paneWhen(socket, () => true, true)).split('\n');
        const notice = lines.filter((l) => l.includes('SIGINT'));
        assert.equal(notice.length, 1, rows);
        assert.match(notice[0] ?? '', /^glm-vision: SIGINT: finishing requests in flight \(up to 30 s\), then saving them to the cache; .* press Ctrl-C again to stop now$/, rows);
        for (const line of lines) {
          if (/[█░]/.test(line)) assert.ok(stringWidth(line) < columns, `the bar wraps at ${columns} columns: ${line}`);
        }
        for (const row of rows.split('\n')) assert.ok(stringWidth(row) <= columns, row);
        assert.match(lines.filter((l) => l.trim() !== '' && !l.startsWith('Pane is dead')).at(-1) ?? '', /^glm-vision: \d\/6 files, /, 'the summary comes last, after the bar');
      } finally {
        await tmux(socket, 'kill-server').catch(() => undefined);
      }
    });
  }
});
