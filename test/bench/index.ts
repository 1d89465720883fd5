// `npm run bench`: speed targets for glm-vision, measured against the real CLI
// (node bin/glm-vision.js over dist/): cold throughput, the cached re-run, PDF
// pages and limits, the in-process ONNX engine on a tiny generated model, its
// resize on 12 MP photos, start-up time, memory and re-run time over 100,000
// files, an 80,000-row report (page, thumbnail folder, Chromium), and keeping a
// K-slot server busy (--concurrency auto beside fixed -j). Prints a table
// and writes .bench/results.json. A missed target is reported as FAIL; the exit
// code is 0 unless the bench itself could not run (1), or was interrupted (130).
//
//   npm run bench [-- --only cold|cached|identity|pdf|limits|onnx|resize|startup|scale|report|concurrency] [--runs N]
//   GLM_VISION_BENCH_DIR      fixtures and results (default: .bench/ in the repo)
//   GLM_VISION_BENCH_THREADS  VIPS_CONCURRENCY for both sides, and the onnx engine's --threads (default: os.availableParallelism())
//   GLM_VISION_BENCH_RSS      gnu-time | proc-poll (default: gnu-time when /usr/bin/time exists)
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { cachedRerun } from './cached.js';
import { coldThroughput } from './cold.js';
import { concurrencyTargets } from './concurrency.js';
import { onnxEngine } from './onnx.js';
import { pdfPages } from './pdf.js';
import { pdfLimits } from './pdf-limits.js';
import { reportPages } from './report-page.js';
import { resizeSpeed } from './resize.js';
import { scaleRuns } from './scale.js';
import { metadataRerun } from './identity.js';
import { startupTime } from './startup.js';
import { ROOT, type BenchContext } from './context.js';
import { hasGnuTime, killAll, type RssMethod } from './proc.js';
import { renderTable, writeJson, type Report } from './report.js';

const SECTIONS = ['cold', 'cached', 'identity', 'pdf', 'limits', 'onnx', 'resize', 'startup', 'scale', 'report', 'concurrency'] as const;
const USAGE = `usage: npm run bench [-- --only ${SECTIONS.join('|')}] [--runs N]`;

/** A bad option or environment variable: printed as one line, no stack. */
class BenchUsageError extends Error {}

const log = (message: string): void => {
  process.stderr.write(`bench: ${message}\n`);
};

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new BenchUsageError(`${name} must be a positive integer, got "${value}"`);
  return n;
}

async function main(): Promise<number> {
  let values: { only?: string; runs?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { only: { type: 'string' }, runs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const only = values.only;
  if (only !== undefined && !(SECTIONS as readonly string[]).includes(only)) {
    throw new BenchUsageError(`--only must be one of ${SECTIONS.join(', ')}, got "${only}"`);
  }

  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    process.stderr.write('bench: dist/ is missing: run `npm run build` first (or use `npm run bench`, which builds).\n');
    return 1;
  }

  const cpus = os.availableParallelism();
  const threads = positive('GLM_VISION_BENCH_THREADS', process.env.GLM_VISION_BENCH_THREADS, cpus);
  const runs = positive('--runs', values.runs, 3);
  const requested = process.env.GLM_VISION_BENCH_RSS;
  if (requested !== undefined && requested !== 'gnu-time' && requested !== 'proc-poll') {
    throw new BenchUsageError(`GLM_VISION_BENCH_RSS must be gnu-time or proc-poll, got "${requested}"`);
  }
  const rss: RssMethod = requested ?? (hasGnuTime() ? 'gnu-time' : 'proc-poll');
  const root = path.resolve(process.env.GLM_VISION_BENCH_DIR || path.join(ROOT, '.bench'));
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'glmv-bench-'));

  const report: Report = {
    startedAt: new Date().toISOString(),
    measures: [],
    notes: [],
    env: {
      cpus, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      threads, runs, node: process.version, platform: `${os.platform()} ${os.release()}`,
      sharp: sharp.versions.sharp, sharpLibvips: sharp.versions.vips, rssMethod: rss,
    },
  };
  const ctx: BenchContext = { root, scratch, threads, cpus, runs, rss, report, log };

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the children and cleaning up`);
    killAll();
    void rm(scratch, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const errors: string[] = [];
  const t0 = performance.now();
  try {
    const sections: [string, (c: BenchContext) => Promise<void>][] = [
      ['cold', coldThroughput],
      ['cached', cachedRerun],
      ['identity', metadataRerun],
      ['pdf', pdfPages],
      ['limits', pdfLimits],
      ['onnx', onnxEngine],
      ['resize', resizeSpeed],
      ['startup', startupTime],
      ['scale', scaleRuns],
      ['report', reportPages],
      ['concurrency', concurrencyTargets],
    ];
    for (const [name, section] of sections) {
      if (only !== undefined && only !== name) continue;
      try {
        await section(ctx);
      } catch (error) {
        if (interrupted) throw error;
        killAll();
        const message = (error as Error).message;
        errors.push(`${name}: ${message}`);
        log(`${name} section failed: ${message}`);
        report.measures.push({ id: `${name}.error`, measure: `${name} section`, unit: '', display: 'error (see notes)', target: 'runs', verdict: 'FAIL' });
      }
    }
  } finally {
    killAll();
    await rm(scratch, { recursive: true, force: true });
  }

  report.finishedAt = new Date().toISOString();
  const env = report.env;
  report.notes.unshift(
    `machine: ${cpus} CPUs (${String(env.cpuModel)}), ${String(env.memoryGiB)} GiB; ${String(env.platform)}; Node ${process.version}; ` +
      `sharp ${sharp.versions.sharp} with libvips ${sharp.versions.vips}; vipsthumbnail: ${String(env.vipsthumbnail ?? 'not run')}.`,
    `threads: VIPS_CONCURRENCY=${threads} set for glm-vision and vipsthumbnail` +
      (env.sharpConcurrencyInChild === undefined ? '' : `; sharp.concurrency() in a CLI child = ${String(env.sharpConcurrencyInChild)}`) +
      `; ${runs} runs per timed measure.`,
    `peak RSS: ${rss === 'gnu-time' ? '/usr/bin/time -f %M (max RSS of the node child)' : 'VmHWM from /proc/<pid>/status polled every 10 ms'}.`,
  );
  for (const e of errors) report.notes.push(`ERROR ${e}`);
  report.notes.push(`bench took ${((performance.now() - t0) / 1000).toFixed(0)} s; results in ${path.join(root, 'results.json')}.`);

  process.stdout.write(`\n${renderTable(report)}\n`);
  await writeJson(path.join(root, 'results.json'), report);
  return errors.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    killAll();
    if (error instanceof BenchUsageError) {
      process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
