// Report at archive scale: an 80,000-row catalog over 80,000 distinct small JPEGs
// becomes a page with its thumbnails in a folder beside it (auto), beside the same
// page with every thumbnail inside it (--thumbnails-in page), --limit and --only
// pages, and a page without thumbnails; then headless Chromium opens the 80,000-row
// page and times its load, a status filter and a search.
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BIN } from '../helpers/cli.js';
import { childEnv, type BenchContext } from './context.js';
import { ensureSmallImages } from './fixtures.js';
import { check, runTimed } from './proc.js';
import { fmt, type Measure } from './report.js';

export const REPORT_ROWS = 80_000;
const REPORT_FOLDERS = 80;
/** 128 px squares with noise: thumbnails of about 3.4 KB, the small end of what photos and scans give at 256 px. */
const REPORT_IMAGE_SIZE = 128;
const CHROMIUM = '/usr/bin/chromium';

const mb = (bytes: number): number => bytes / 1e6;

/** Row i of the bench catalog: 2 % errors, 2.5 % truncated, 10 % accepted, 1 % rejected. */
function catalogLine(file: string, i: number): string {
  const status = i % 50 === 49 ? 'error' : i % 40 === 7 ? 'truncated' : 'ok';
  const review = i % 100 === 3 ? 'rejected' : i % 10 === 0 ? 'accepted' : undefined;
  return JSON.stringify({
    SourceFile: file, page: null, pages: null, sha256: null, bytes: 5500, width: REPORT_IMAGE_SIZE, height: REPORT_IMAGE_SIZE, format: 'jpeg',
    status, cached: i % 3 === 0, error: status === 'error' ? 'the server answered 500 three times' : status === 'truncated' ? 'the answer was cut off' : null,
    prompt: 'describe', model: 'zai-org/GLM-4.6V-Flash',
    output: status === 'error' ? null
      : `A black-and-white photograph of a harbour, number ${i}: fishing boats moored along a stone quay, nets drying on the railings, and a lighthouse in the distance.`,
    tokens_in: 812, tokens_out: 41, latency_ms: 1900 + (i % 700),
    ...(review ? { review, reviewer: 'archivist' } : {}),
  });
}

async function folderSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += (await stat(path.join(e.parentPath, e.name))).size;
  }
  return { files, bytes };
}

interface Run {
  wallS: number;
  rssMb: number | undefined;
  pageBytes: number;
  folder: { files: number; bytes: number } | undefined;
  stderr: string;
}

export async function reportPages(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureSmallImages(ctx.root, REPORT_ROWS, REPORT_FOLDERS, REPORT_IMAGE_SIZE, log);
  if (set.generated) log(`  generated in ${(set.generateMs / 1000).toFixed(1)} s`);
  const dir = path.join(ctx.scratch, 'report');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const catalog = path.join(dir, 'catalog.jsonl');
  await writeFile(catalog, set.files.map((f, i) => `${catalogLine(path.relative(set.dir, f), i)}\n`).join(''));
  const catalogBytes = (await stat(catalog)).size;
  report.notes.push(
    `report: a JSONL catalog of ${REPORT_ROWS} rows (${fmt(mb(catalogBytes), 0)} MB: 2 % error, 2.5 % truncated, 10 % accepted and 1 % rejected by a reviewer) ` +
      `over ${set.files.length} distinct ${REPORT_IMAGE_SIZE}×${REPORT_IMAGE_SIZE} JPEGs (${fmt(set.totalBytes / set.files.length, 0)} bytes each, ` +
      `${REPORT_FOLDERS} folders, made once with sharp under ${path.relative(ctx.root, set.dir)}/); each row its own file, so every thumbnail is distinct. ` +
      `Default --thumb-size 256 and -j; one run each (wall is spawn to exit, peak RSS the CLI's node process by ${ctx.rss}); page and folder removed after each.`,
  );

  const run = async (name: string, args: string[]): Promise<Run> => {
    const page = path.join(dir, 'report.html');
    log(`report: ${name} ...`);
    const r = check(`glm-vision report (${name})`, await runTimed(process.execPath, [BIN, 'report', catalog, '--base', set.dir, '-o', page, ...args], {
      cwd: dir, env: childEnv(ctx), timeoutMs: 1_800_000, rss: ctx.rss, scratch: ctx.scratch,
    }));
    const folder = existsSync(path.join(dir, 'report_files')) ? await folderSize(path.join(dir, 'report_files')) : undefined;
    const result = { wallS: r.wallMs / 1000, rssMb: r.peakRssKb === undefined ? undefined : (r.peakRssKb * 1024) / 1e6, pageBytes: (await stat(page)).size, folder, stderr: r.stderr };
    log(`  ${fmt(result.wallS)} s, page ${fmt(mb(result.pageBytes), 1)} MB` +
      (folder ? `, folder ${fmt(mb(folder.bytes), 1)} MB in ${folder.files} files` : '') + `, peak RSS ${fmt(result.rssMb, 0)} MB`);
    return result;
  };
  const clean = async (): Promise<void> => {
    await rm(path.join(dir, 'report.html'), { force: true });
    await rm(path.join(dir, 'report_files'), { recursive: true, force: true });
  };
  const rows = (id: string, label: string, r: Run): Measure[] => [
    { id: `report.${id}.wall`, measure: `report: ${label}: wall`, value: r.wallS, unit: 's', target: '-', verdict: '-' },
    { id: `report.${id}.page`, measure: `report: ${label}: page`, value: mb(r.pageBytes), unit: 'MB', target: '-', verdict: '-' },
    ...(r.folder ? [
      { id: `report.${id}.folder`, measure: `report: ${label}: thumbnail folder`, value: mb(r.folder.bytes), unit: 'MB',
        display: `${fmt(mb(r.folder.bytes), 1)} MB in ${r.folder.files} files`, target: '-', verdict: '-' } satisfies Measure,
    ] : []),
    {
      id: `report.${id}.rss`, measure: `report: ${label}: peak RSS`, value: r.rssMb, unit: 'MB',
      display: r.rssMb === undefined ? 'not measured' : `${fmt(r.rssMb, 0)} MB`, target: '-', verdict: r.rssMb === undefined ? 'skip' : '-',
    },
  ];

  try {
    const folder = await run('80,000 rows, auto (folder)', []);
    if (!folder.folder) throw new Error(`the 80,000-row report did not write report_files/: ${folder.stderr}`);
    report.measures.push(...rows('folder', `${REPORT_ROWS} rows, thumbnails in report_files/ (auto)`, folder));
    const browser = await browse(ctx, path.join(dir, 'report.html'));
    if (browser) report.measures.push(...browser);
    await clean();

    const inline = await run('80,000 rows, --thumbnails-in page', ['--thumbnails-in', 'page']);
    report.measures.push(...rows('inline', `${REPORT_ROWS} rows, --thumbnails-in page`, inline));
    await clean();
    const limit = await run('--limit 2000', ['--limit', '2000']);
    report.measures.push(...rows('limit', '--limit 2000 (inline)', limit));
    await clean();
    const only = await run('--only rejected --only error', ['--only', 'rejected', '--only', 'error']);
    report.measures.push(...rows('only', '--only rejected --only error (inline)', only));
    await clean();
    const bare = await run('--no-thumbnails', ['--no-thumbnails']);
    report.measures.push(...rows('bare', `${REPORT_ROWS} rows, --no-thumbnails`, bare));
    await clean();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Headless Chromium on the 80,000-row page: load, a status filter, a first and a second search. */
async function browse(ctx: BenchContext, page: string): Promise<Measure[] | undefined> {
  if (!existsSync(CHROMIUM)) {
    ctx.report.notes.push(`report: ${CHROMIUM} is missing: the page was not opened in a browser.`);
    return undefined;
  }
  ctx.log('report: opening the 80,000-row page in headless Chromium ...');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    tab.on('request', (r) => requests.push(r.url()));
    const t0 = performance.now();
    await tab.goto(`file://${page}`, { waitUntil: 'load', timeout: 600_000 });
    const loadS = (performance.now() - t0) / 1000;
    // Browser-side code as source text: the project's TypeScript has no DOM types.
    const timed = (body: string): Promise<number> => tab.evaluate<number>(`(async () => {
      const t = performance.now();
      ${body}
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    })()`);
    const search = (text: string): string => `const q = document.getElementById('q'); q.value = ${JSON.stringify(text)}; q.dispatchEvent(new Event('input'));`;
    const given = await tab.evaluate<number>('document.querySelectorAll("img[src]").length');
    const scrollMs = await timed('window.scrollTo(0, document.documentElement.scrollHeight / 2);');
    await timed('window.scrollTo(0, 0);');
    const filterMs = await timed(`document.querySelector('.filters [data-filter="error"]').click(); document.body.offsetHeight;`);
    await timed(`document.querySelector('.filters [data-filter="all"]').click();`);
    const firstSearchMs = await timed(search('number 4711:'));
    const secondSearchMs = await timed(search('lighthouse number 7'));
    const shown = await tab.locator('#shown').textContent();
    const heapMb = await tab.evaluate<number>('performance.memory ? performance.memory.usedJSHeapSize / 1e6 : NaN');
    const outside = requests.filter((u) => !u.startsWith('file://')).length;
    ctx.report.notes.push(
      `report: Chromium ${browser.version()} opened the ${REPORT_ROWS}-row folder page (1280×900): load event after ${fmt(loadS)} s, ` +
        `${given} thumbnails given their src (the chunks near the window), ${requests.length - 1} requested by the end (lazy), ` +
        `${outside} requests outside file:; JS heap ${fmt(heapMb, 0)} MB; ` +
        `after the second search: "${shown ?? ''}". Filter and search times include two animation frames.`,
    );
    if (outside > 0) throw new Error(`the report page made ${outside} requests outside file:`);
    return [
      { id: 'report.browser.load', measure: `report: Chromium, ${REPORT_ROWS}-row page: load`, value: loadS, unit: 's', target: '-', verdict: '-' },
      { id: 'report.browser.scroll', measure: 'report: Chromium: jump to the middle', value: scrollMs, unit: 'ms', display: `${fmt(scrollMs, 0)} ms`, target: '-', verdict: '-' },
      { id: 'report.browser.filter', measure: 'report: Chromium: "error" filter', value: filterMs, unit: 'ms', display: `${fmt(filterMs, 0)} ms`, target: '-', verdict: '-' },
      { id: 'report.browser.search1', measure: 'report: Chromium: first search, right after load', value: firstSearchMs, unit: 'ms', display: `${fmt(firstSearchMs, 0)} ms`, target: '-', verdict: '-' },
      { id: 'report.browser.search2', measure: 'report: Chromium: next search', value: secondSearchMs, unit: 'ms', display: `${fmt(secondSearchMs, 0)} ms`, target: '-', verdict: '-' },
    ];
  } finally {
    await browser.close();
  }
}
