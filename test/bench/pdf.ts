// Pages per second from a scanned PDF (its pages' JPEGs decoded by libvips
// at --dpi 150) side by side with the same pages as JPEG files, and from a
// born-digital PDF of the same length (each page drawn by PDFium), through the
// whole pipeline against an instant loopback server.
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startFakeOpenAI } from '../helpers/fake-openai.js';
import { makeVectorPdf } from '../helpers/pdfs.js';
import { countWhere, firstError, removeDb, runCatalogWith, type BenchContext } from './context.js';
import { ensureScannedDocument } from './fixtures.js';
import { fmt, median } from './report.js';

export const PDF_PAGES = 50;
/** A4 scanned at 300 dpi. */
const SCAN = { width: 2480, height: 3508 };
const DPI = 150;
/** A4 at 150 dpi is 1240×1754 = 2.17 MP: a budget that keeps every rendered pixel. */
const MAX_PIXELS = 2_250_000;

export async function pdfPages(ctx: BenchContext): Promise<void> {
  const { report, log } = ctx;
  const set = await ensureScannedDocument(ctx.root, PDF_PAGES, SCAN, log);
  if (set.generated) log(`  generated in ${(set.generateMs / 1000).toFixed(1)} s`);
  const pdfBytes = (await stat(set.pdf)).size;
  const server = await startFakeOpenAI();
  const common = ['--endpoint', server.url, '--model', 'bench', '--flavor', 'vllm', '--max-pixels', String(MAX_PIXELS)];
  const fromPdf: number[] = [];
  const fromJpeg: number[] = [];
  const fromVector: number[] = [];
  const vector = path.join(ctx.scratch, `vector-${PDF_PAGES}.pdf`);
  await writeFile(vector, await makeVectorPdf(PDF_PAGES));
  try {
    const one = async (name: string, input: string, extra: string[], into: number[]): Promise<void> => {
      const cache = path.join(ctx.scratch, `${name}.db`);
      try {
        const r = await runCatalogWith(ctx, { args: [input, ...common, ...extra], cache, name, timeoutMs: 600_000 });
        const ok = countWhere(r.rows, (row) => row.status === 'ok' && row.cached === false);
        if (ok !== PDF_PAGES) throw new Error(`${name}: ${ok}/${r.rows.length} fresh ok rows, expected ${PDF_PAGES}. ${firstError(r.rows)}`);
        into.push(PDF_PAGES / (r.wallMs / 1000));
        log(`  ${name}: ${fmt(r.wallMs / 1000)} s, ${fmt(PDF_PAGES / (r.wallMs / 1000))} pages/s`);
      } finally {
        await removeDb(cache);
      }
    };
    log(`pdf pages: ${PDF_PAGES} pages, ${ctx.runs} alternating runs`);
    for (let run = 0; run < ctx.runs; run++) {
      await one(`pdf-${run}`, set.pdf, ['--dpi', String(DPI)], fromPdf);
      await one(`jpeg-${run}`, set.dir, [], fromJpeg);
      await one(`vector-${run}`, vector, ['--dpi', String(DPI)], fromVector);
    }
  } finally {
    await server.close();
  }
  const pdfMed = median(fromPdf);
  const jpegMed = median(fromJpeg);
  report.measures.push(
    { id: 'pdf.pages', measure: `${PDF_PAGES}-page scanned PDF at ${DPI} dpi (median)`, value: pdfMed, unit: 'pages/s', target: '-', verdict: '-', runs: fromPdf },
    { id: 'pdf.jpegs', measure: `the same ${PDF_PAGES} pages as JPEG files (median)`, value: jpegMed, unit: 'pages/s', target: '-', verdict: '-', runs: fromJpeg },
    { id: 'pdf.ratio', measure: 'pdf ratio PDF / JPEG files (info)', value: pdfMed / jpegMed, unit: 'x', display: `${fmt(pdfMed / jpegMed)}x`, target: '-', verdict: '-' },
    { id: 'pdf.vector', measure: `${PDF_PAGES}-page born-digital PDF at ${DPI} dpi, drawn by PDFium (median)`, value: median(fromVector), unit: 'pages/s', target: '-', verdict: '-', runs: fromVector },
  );
  report.notes.push(
    `pdf: ${PDF_PAGES} distinct ${SCAN.width}×${SCAN.height} JPEG scans (300 dpi A4, q80, ${fmt(set.totalBytes / PDF_PAGES / 1e6)} MB each), ` +
      `as files and as one ${fmt(pdfBytes / 1e6, 0)} MB PDF of A4 pages; both runs: catalog --max-pixels ${MAX_PIXELS} (A4 at ${DPI} dpi fits ` +
      `whole), the PDF with --dpi ${DPI}; wall clock from spawn to exit with a fresh cache. The born-digital PDF: ${PDF_PAGES} A4 ` +
      'pages of 30 text lines in 3 standard fonts, 12 bars, an ellipse, a dashed rule and a curve each, also at ' + `--dpi ${DPI}.`,
  );
}
