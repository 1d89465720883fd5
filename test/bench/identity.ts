// Metadata written back: 2,000 small JPEGs are catalogued, then each round the
// real exiftool writes a description and keywords into every file in place, and
// the re-run (every file read, hashed and known by its content, no request sent)
// is timed beside a plain cached re-run of the same files.
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { countWhere, firstError, removeDb, runCatalog, type BenchContext, type CatalogRun } from './context.js';
import { ensureSmallImages } from './fixtures.js';
import { fmt, median } from './report.js';

export const IDENTITY_COUNT = 2_000;
const IDENTITY_FOLDERS = 20;
const IDENTITY_SIZE = 64;

export async function metadataRerun(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureSmallImages(ctx.root, IDENTITY_COUNT, IDENTITY_FOLDERS, IDENTITY_SIZE, log);
  // exiftool writes into the files: a copy, so the fixture stays as made.
  const dir = path.join(ctx.scratch, 'identity-photos');
  await cp(set.dir, dir, { recursive: true });
  const n = set.files.length;
  const rounds = ctx.runs;
  report.notes.push(
    `identity: ${n} distinct ${IDENTITY_SIZE}×${IDENTITY_SIZE} JPEGs in ${IDENTITY_FOLDERS} folders, catalogued once; then ${rounds} rounds of ` +
      'a plain cached re-run, `exiftool -overwrite_original -XMP-dc:Description=… -IPTC:Keywords=… -r` over every file, and the re-run after it ' +
      '(each must return every row ok and cached with 0 inference requests); medians.',
  );

  const server = await startFakeOpenAI();
  const cache = path.join(ctx.scratch, 'identity.db');
  const plain: number[] = [];
  const written: number[] = [];
  try {
    const rerun = async (name: string): Promise<CatalogRun> => {
      const before = server.chatRequests().length;
      const r = await runCatalog(ctx, { input: dir, endpoint: server.url, cache, name, timeoutMs: 600_000 });
      const sent = server.chatRequests().length - before;
      const cached = countWhere(r.rows, (row) => row.status === 'ok' && row.cached === true);
      if (r.rows.length !== n || cached !== n || sent !== 0) {
        throw new Error(`${name}: ${cached}/${r.rows.length} rows ok and cached and ${sent} requests, expected ${n} and 0. ${firstError(r.rows)}`);
      }
      return r;
    };
    log(`identity: cold run over ${n} files ...`);
    const fill = await runCatalog(ctx, { input: dir, endpoint: server.url, cache, name: 'identity-fill', timeoutMs: 900_000 });
    if (fill.rows.length !== n) throw new Error(`identity: the cold run gave ${fill.rows.length} rows, expected ${n}. ${firstError(fill.rows)}`);
    for (let round = 0; round < rounds; round++) {
      plain.push((await rerun(`identity-plain-${round}`)).wallMs / 1000);
      const t0 = performance.now();
      await promisify(execFile)('exiftool', [
        '-q', '-overwrite_original', `-XMP-dc:Description=checked by the archive, round ${round + 1}`, '-IPTC:Keywords=archive', '-r', dir,
      ]);
      const exiftoolS = (performance.now() - t0) / 1000;
      written.push((await rerun(`identity-written-${round}`)).wallMs / 1000);
      log(`  round ${round + 1}: cached re-run ${fmt(plain[round])} s; exiftool ${fmt(exiftoolS)} s; re-run after it ${fmt(written[round])} s, 0 requests`);
    }
  } finally {
    await server.close();
    await removeDb(cache);
  }
  const ratio = median(written) / median(plain);
  report.measures.push(
    { id: 'identity.plain', measure: `identity: cached re-run, ${n} files (median of ${rounds})`, value: median(plain), unit: 's', target: '-', verdict: '-', runs: plain },
    {
      id: 'identity.written', measure: `identity: re-run after metadata written into every file (median of ${rounds})`,
      value: median(written), unit: 's', target: '-', verdict: '-', runs: written,
    },
    { id: 'identity.ratio', measure: 'identity: metadata re-run / cached re-run', value: ratio, unit: '×', display: `${fmt(ratio)}×`, target: '-', verdict: '-' },
  );
}
