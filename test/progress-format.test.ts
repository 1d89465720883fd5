// The progress line's pieces: durations that carry, rates in the right unit, an
// ETA only once there is a rate, timestamps, and a bar that fits its terminal.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import stringWidth from 'string-width';
import { withLang } from '../src/i18n/index.js';
import { createProgress, summaryLine, type Tally } from '../src/pipeline/progress.js';
import { cutToWidth, EtaWindow, fitBar, formatDuration, formatRate, isoTimestamp, runRate } from '../src/pipeline/progress-format.js';

const tally = (t: Partial<Tally>): Tally => ({ done: 0, total: 300, cached: 0, failed: 0, truncated: 0, pages: 0, ...t });

describe('durations', () => {
  it('round first, then carry: never 10m60s', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(59.4), '59s');
    assert.equal(formatDuration(59.6), '1m00s');
    assert.equal(formatDuration(65), '1m05s');
    assert.equal(formatDuration(659.6), '11m00s');
    assert.equal(formatDuration(3599.6), '1h00m');
    assert.equal(formatDuration(7199), '2h00m');
    assert.equal(formatDuration(3 * 3600 + 7 * 60 + 40), '3h08m');
    assert.equal(formatDuration(100 * 3600 + 29 * 60), '4d04h');
    assert.equal(formatDuration(-3), '0s');
  });
});

describe('rates', () => {
  it('images per second while inferring, files per second for a run the cache answered', () => {
    assert.equal(runRate(tally({}), 5000), undefined, 'nothing done: no rate');
    assert.equal(runRate(tally({ done: 3 }), 0), undefined);
    assert.deepEqual(runRate(tally({ done: 10, cached: 4 }), 2000), { perSecond: 3, unit: 'images' });
    assert.deepEqual(runRate(tally({ done: 300, cached: 300 }), 500), { perSecond: 600, unit: 'files' });
    assert.equal(formatRate(4.321), '4.32');
    assert.equal(formatRate(43.21), '43.2');
    assert.equal(formatRate(12345.6), '12,346');
  });

  it('the summary of a cached run says files/s, not 0.00 images/s', () => {
    const line = summaryLine(tally({ done: 300, cached: 300 }), 500);
    assert.match(line, /\(600 files\/s\)$/);
    assert.doesNotMatch(summaryLine(tally({ done: 0, total: 0 }), 0), /\/s/, 'nothing done: no rate at all');
  });
});

describe('ETA', () => {
  it('needs rows done over a measurable time', () => {
    const eta = new EtaWindow();
    eta.add(0, 0);
    assert.equal(eta.seconds(300), undefined, 'one sample');
    eta.add(5000, 0);
    assert.equal(eta.seconds(300), undefined, 'time but nothing done');
    eta.add(10_000, 20);
    assert.equal(eta.seconds(280), 140, '20 rows in 10 s: 280 left take 140 s');
  });

  it('follows the last minute, not the whole run', () => {
    const eta = new EtaWindow(60_000, 250);
    eta.add(0, 0);
    eta.add(1000, 100); // a cached burst at the start
    for (let s = 2; s <= 200; s++) eta.add(s * 1000, 100 + (s - 1)); // then one a second
    assert.equal(Math.round(eta.seconds(60) ?? -1), 60);
  });
});

describe('timestamps', () => {
  it('are ISO 8601 local time with the offset, to the second', () => {
    const date = new Date(Date.UTC(2025, 5, 1, 6, 3, 7, 900));
    const stamp = isoTimestamp(date);
    assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.equal(new Date(stamp).getTime(), Date.UTC(2025, 5, 1, 6, 3, 7));
  });
});

describe('fitting the bar', () => {
  const parts = [
    { text: 'cached 12', keep: 1 }, { text: 'failed 0', keep: 2 }, { text: '4.32 img/s', keep: 3 }, { text: 'ETA 1m05s', keep: 5 },
  ];

  it('keeps everything when there is room, and never reaches the last three columns', () => {
    const wide = fitBar(120, 0.5, '150/300', parts);
    assert.equal(wide, `${'█'.repeat(20)}${'░'.repeat(20)} 150/300 | cached 12 | failed 0 | 4.32 img/s | ETA 1m05s`);
    for (const columns of [60, 61, 72, 80, 100, 120, 200]) {
      const line = fitBar(columns, 0.5, '150/300', parts);
      assert.ok(stringWidth(line) <= columns - 3, `${columns}: ${line}`);
      assert.match(line, /^[█░]{10,40} 150\/300/, `${columns}: a bar of at least 10 cells`);
      assert.match(line, /ETA 1m05s$/, `${columns}: the ETA is the last to go`);
    }
  });

  it('drops the least wanted parts first', () => {
    const at60 = fitBar(60, 0.5, '150/300', parts);
    assert.doesNotMatch(at60, /cached/);
    assert.match(at60, /failed 0 \| 4\.32 img\/s \| ETA 1m05s$/);
    const at50 = fitBar(50, 0.5, '150/300', parts);
    assert.match(at50, /150\/300 \| 4\.32 img\/s \| ETA 1m05s$/);
  });

  it('counts CJK characters as two columns', () => {
    const zh = [{ text: '已缓存 12', keep: 1 }, { text: '失败 0', keep: 2 }, { text: '剩余 1 分 05 秒', keep: 5 }];
    for (const columns of [60, 80]) assert.ok(stringWidth(fitBar(columns, 0.3, '90/300', zh)) <= columns - 3);
    assert.equal(cutToWidth('图片尺寸太小', 7), '图片尺…');
  });

  it('draws the bar with block characters in English and ASCII in Chinese (CJK terminals may draw blocks two columns wide)', () => {
    const parts = [{ text: '4.32 img/s', keep: 4 }];
    assert.match(fitBar(60, 0.5, '150/300', parts), /^█+░+ 150\/300/);
    const zh = withLang('zh', () => fitBar(60, 0.5, '150/300', parts));
    assert.match(zh, /^#+-+ 150\/300/);
    assert.equal(zh.length, fitBar(60, 0.5, '150/300', parts).length);
  });
});

/** A stream that says it is a terminal of `columns`, keeping what is written. */
function terminal(columns: number): { stream: Writable & { isTTY: boolean; columns: number }; text: () => string } {
  let text = '';
  const stream = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: true, columns });
  // The terminal's erase-line code, made visible for the regular expressions below.
  return { stream, text: () => text.replaceAll('\x1b[K', '<EL>') };
}

describe('the bar on a terminal', () => {
  it('prints messages above the bar: clear the line, the message, then the bar again', () => {
    const { stream, text } = terminal(80);
    let now = 0;
    const p = createProgress(stream, false, { now: () => now, redrawMs: 0 });
    p.start(300);
    assert.match(text(), /^\r[░]+ 0\/300 \| cached 0 \| failed 0<EL>$/, 'no rate and no ETA at 0/300');
    const before = text().length;
    p.print('glm-vision: SIGINT: finishing requests in flight');
    const after = text().slice(before);
    assert.match(after, /^\r<EL>glm-vision: SIGINT: finishing requests in flight\n\r[█░]+ 0\/300 [^\n]*<EL>$/);
    now = 10_000;
    p.update(tally({ done: 20 }));
    assert.match(text(), /2\.00 img\/s \| ETA 2m20s<EL>$/);
    p.stop(tally({ done: 300 }), 150_000);
    assert.match(text(), /300\/300[^\n]*<EL>\nglm-vision: 300\/300 files, 300 ok \(0 cached\), 0 failed in 150\.0 s \(2\.00 images\/s\)\n$/);
    assert.doesNotMatch(text(), /ETA 0s/);
  });

  it('shows the loading phase in place of the rate', () => {
    const { stream, text } = terminal(80);
    const p = createProgress(stream, false, { now: () => 0, redrawMs: 0 });
    p.start(9);
    p.phase('loading model tiny…');
    assert.match(text(), /0\/9 \| cached 0 \| failed 0 \| loading model tiny…<EL>$/);
    p.phase(undefined);
    assert.match(text(), /0\/9 \| cached 0 \| failed 0<EL>$/);
  });
});

describe('progress in a log (no terminal)', () => {
  it('starts each progress line with a timestamp and gives the ETA once there is a rate', () => {
    let text = '';
    const err = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: false });
    const base = Date.UTC(2025, 0, 2, 3, 4, 5);
    let now = base;
    const p = createProgress(err, false, { now: () => now });
    p.start(100);
    p.phase('loading model tiny…');
    now += 12_000;
    p.update(tally({ total: 100, done: 10, cached: 2 }));
    const lines = text.trim().split('\n');
    assert.equal(lines.length, 2, text);
    assert.equal(lines[0], `${isoTimestamp(new Date(base))} glm-vision: loading model tiny…`);
    assert.equal(lines[1], `${isoTimestamp(new Date(base + 12_000))} glm-vision: 10/100 done, 2 cached, 0 failed, 0.67 images/s, ETA 1m48s`);
  });
});

describe('in Chinese', () => {
  it('the bar, the ETA, the log line and the summary, fitted by display width', () => withLang('zh', () => {
    assert.equal(formatDuration(659.6), '11 分 00 秒');
    assert.equal(formatDuration(3 * 3600 + 7 * 60 + 40), '3 小时 08 分');
    const { stream, text } = terminal(60);
    let now = 0;
    const p = createProgress(stream, false, { now: () => now, redrawMs: 0 });
    p.start(300);
    now = 10_000;
    p.update(tally({ done: 20, failed: 1 }));
    const bar = text().split('\r').at(-1)?.replace('<EL>', '') ?? '';
    assert.match(bar, /20\/300 \| 失败 1 \| 2\.00 张\/秒 \| 剩余 2 分 20 秒$/);
    assert.ok(stringWidth(bar) <= 57, bar);
    assert.equal(
      summaryLine(tally({ done: 300, cached: 300 }), 500),
      'glm-vision: 300/300 个文件，其中 300 个来自缓存：成功 300，失败 0，用时 0.5 秒（600 个文件/秒）',
    );
  }));
});
