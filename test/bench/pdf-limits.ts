// Hostile PDFs beside ordinary ones, at the default rendering limits: a PDF
// of tiling patterns nested 40 deep (each painting a form that uses the next),
// one whose forms and pattern draw each other in a cycle, and 50 ordinary
// scanned and vector PDFs. Peak RSS must stay under 1.5 GB; the rows must be
// the same with a CPU hog beside the run (limits count CPU time, not wall
// time); the run must take no longer than the CPU limit per bad file plus the
// good files' own time (wall clock, on an idle machine).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN, parseJsonl, ROOT } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { makeCyclicPdf, makeNestedTilingPdf, makePdf } from '../helpers/pdfs.js';
import { DEFAULT_RENDER_CPU_LIMIT_S } from '../../src/pages/pdf-pool.js';
import { childEnv, removeDb, type BenchContext } from './context.js';
import { runTimed, tail } from './proc.js';
import { fmt, judge } from './report.js';

const ORDINARY = 50;
const BAD = ['nested-tiling.pdf', 'cycle.pdf'];
const PEAK_RSS_TARGET_MB = 1536;

/** 25 one-page scans and 25 two-page vector (text) PDFs, beside the hostile ones in `withBad`. */
async function folders(scratch: string): Promise<{ good: string; all: string }> {
  const good = path.join(scratch, 'limits-good');
  const all = path.join(scratch, 'limits-all');
  await mkdir(good, { recursive: true });
  await mkdir(all, { recursive: true });
  for (let i = 0; i < ORDINARY; i++) {
    const pdf = i % 2 === 0
      ? await makePdf([{ kind: 'scan', seed: 100 + i, width: 1240, height: 1754 }])
      : await makePdf([{ kind: 'text', text: `Invoice ${i}\nTotal ${i}.50 EUR` }, { kind: 'text', text: `Page two of ${i}` }]);
    const name = `doc-${String(i).padStart(2, '0')}.pdf`;
    await writeFile(path.join(good, name), pdf);
    await writeFile(path.join(all, name), pdf);
  }
  await writeFile(path.join(all, BAD[0]!), makeNestedTilingPdf(40, 4));
  await writeFile(path.join(all, BAD[1]!), makeCyclicPdf());
  return { good, all };
}

/** One busy-looping node per CPU, at the same priority as the run. */
function cpuHog(cpus: number): ChildProcess[] {
  return Array.from({ length: cpus }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

/** Each row as file, page, status and error: what must not change with load. */
const outcome = (rows: Record<string, unknown>[]): string =>
  rows.map((r) => `${path.basename(String(r.SourceFile))}#${String(r.page)} ${String(r.status)} ${String(r.error ?? '')}`).sort().join('\n');

export async function pdfLimits(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const { good, all } = await folders(ctx.scratch);
  const server = await startFakeOpenAI();
  const common = ['--endpoint', server.url, '--model', 'bench', '--flavor', 'vllm'];
  try {
    const run = async (name: string, input: string): Promise<{ wallMs: number; peakMb: number | undefined; rows: Record<string, unknown>[] }> => {
      const cache = path.join(ctx.scratch, `${name}.db`);
      try {
        const out = path.join(ctx.scratch, `${name}.jsonl`);
        const args = [BIN, 'catalog', input, ...common, '--cache', cache, '-q', '-o', out];
        const timed = await runTimed(process.execPath, args, { cwd: ROOT, env: childEnv(ctx), timeoutMs: 900_000, rss: ctx.rss, scratch: ctx.scratch });
        // Exit 1 is expected: the bad files are error rows.
        if (timed.code !== 0 && timed.code !== 1) throw new Error(`glm-vision catalog (${name}) failed (exit ${timed.code ?? timed.signal})\n${tail(timed.stderr)}`);
        const r = { ...timed, rows: parseJsonl(await readFile(out, 'utf8')) };
        await rm(out, { force: true });
        const peakMb = r.peakRssKb === undefined ? undefined : r.peakRssKb / 1024;
        log(`  ${name}: ${fmt(r.wallMs / 1000)} s, peak RSS ${fmt(peakMb, 0)} MB, ${r.rows.length} rows`);
        return { wallMs: r.wallMs, peakMb, rows: r.rows };
      } finally {
        await removeDb(cache);
      }
    };
    log(`pdf limits: ${ORDINARY} ordinary PDFs, ${BAD.join(' and ')}, default limits`);
    const goodOnly = await run('limits-good', good);
    const idle = await run('limits-idle', all);
    const hog = cpuHog(ctx.cpus);
    let busy;
    try {
      busy = await run('limits-hog', all);
    } finally {
      for (const child of hog) child.kill('SIGKILL');
    }
    const sameRows = outcome(idle.rows) === outcome(busy.rows);
    const badRows = idle.rows.filter((r) => BAD.includes(path.basename(String(r.SourceFile))));
    for (const r of badRows) log(`  ${path.basename(String(r.SourceFile))}: ${String(r.error)}`);
    const boundS = DEFAULT_RENDER_CPU_LIMIT_S * BAD.length + goodOnly.wallMs / 1000;
    const settled = BAD.filter((file) => {
      const mine = badRows.filter((r) => path.basename(String(r.SourceFile)) === file);
      return mine.length === 1 && (mine[0]!.status === 'ok' || /\(--render-(memory|cpu-limit) /.test(String(mine[0]!.error)));
    }).length;
    report.measures.push(
      {
        id: 'limits.rss', measure: 'pdf limits: peak RSS, hostile + 50 ordinary PDFs', value: idle.peakMb, unit: 'MB',
        target: `< ${PEAK_RSS_TARGET_MB} MB`, verdict: idle.peakMb === undefined ? 'skip' : judge(idle.peakMb, '<', PEAK_RSS_TARGET_MB),
      },
      {
        id: 'limits.rss-hog', measure: 'pdf limits: peak RSS, the same with a CPU hog', value: busy.peakMb, unit: 'MB',
        target: `< ${PEAK_RSS_TARGET_MB} MB`, verdict: busy.peakMb === undefined ? 'skip' : judge(busy.peakMb, '<', PEAK_RSS_TARGET_MB),
      },
      {
        id: 'limits.rows', measure: 'pdf limits: the same rows with a CPU hog beside', value: sameRows ? 1 : 0, unit: '',
        display: sameRows ? 'same' : 'DIFFERENT', target: 'same', verdict: sameRows ? 'pass' : 'FAIL',
      },
      {
        // PDFium draws the nested patterns (without those past its nesting limit); the cycle runs out of memory.
        id: 'limits.bad', measure: 'pdf limits: hostile files ending in one row, ok or naming its limit', value: settled,
        unit: '', target: `= ${BAD.length}`, verdict: settled === BAD.length ? 'pass' : 'FAIL',
      },
      {
        id: 'limits.wall', measure: 'pdf limits: wall time, idle', value: idle.wallMs / 1000, unit: 's',
        target: `<= ${fmt(boundS, 0)} s`, verdict: judge(idle.wallMs / 1000, '<=', boundS),
      },
      { id: 'limits.wall-hog', measure: 'pdf limits: wall time, with a CPU hog (info)', value: busy.wallMs / 1000, unit: 's', target: '-', verdict: '-' },
      { id: 'limits.good', measure: 'pdf limits: the 50 ordinary PDFs alone (info)', value: goodOnly.wallMs / 1000, unit: 's', target: '-', verdict: '-' },
    );
    report.notes.push(
      `pdf limits: ${ORDINARY} ordinary PDFs (25 one-page 1240×1754 scans, 25 two-page text) with a 40-deep nested tiling-pattern PDF ` +
        `and a form/pattern cycle PDF; catalog at the default --render-memory and --render-cpu-limit (${DEFAULT_RENDER_CPU_LIMIT_S} s); ` +
        `the wall bound is ${DEFAULT_RENDER_CPU_LIMIT_S} s × ${BAD.length} bad files + the ordinary files' own run; the hog is ${ctx.cpus} busy-looping node processes.`,
    );
  } finally {
    await server.close();
  }
}
