// PDF pages: PDFium (WebAssembly) in a rendering thread, tried on a real page.
import { PdfPool } from '../pages/pdf-pool.js';
import { pdfiumVersion } from '../pages/pdfium.js';
import { rawPdf } from '../pages/raw-pdf.js';
import { t } from '../i18n/index.js';
import { fail, ok, type CheckResult } from './check.js';

/** A one-inch page filled with 50 % grey. */
function samplePdf(): Buffer {
  const content = '0.5 g 0 0 72 72 re f';
  return rawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] /Contents 4 0 R >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ]);
}

export async function checkPdf(): Promise<CheckResult> {
  const pool = new PdfPool(1_000_000, 1);
  const libraries = pdfiumVersion();
  try {
    const doc = await pool.open(samplePdf());
    const page = await doc.render(1, { dpi: 72, maxPixels: 1_000_000 });
    await doc.close();
    const grey = page.pixels[Math.floor(page.pixels.length / 2 / page.channels) * page.channels] ?? 0;
    if (page.width !== 72 || page.height !== 72 || Math.abs(grey - 128) > 8) {
      return fail('pdf', t('doctor:pdf.wrong', { libraries, width: page.width, height: page.height, grey }), t('doctor:pdf.wrong.fix'));
    }
    return ok('pdf', t('doctor:pdf.ok', { libraries }));
  } catch (error) {
    return fail('pdf', t('doctor:pdf.failed', { libraries, why: String((error as Error).message).split('\n')[0] }), t('doctor:pdf.failed.fix'));
  } finally {
    await pool.close();
  }
}
