// Fonts a PDF names without embedding them (SimSun, STSong-Light…) are drawn
// with an installed font for their script, not as blank space. The README's
// install line brings fonts-noto-cjk, which these tests read.
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkPdfFonts } from '../src/doctor/pdf-fonts-check.js';
import { fontFolders, installedFaces, pickFace, type InstalledFace } from '../src/pages/pdf-fonts.js';
import { makeUnembeddedCjkPdf } from './helpers/pdfs.js';
import type * as PoolModule from '../src/pages/pdf-pool.js';

const { PdfPool } = (await import(new URL('../dist/pages/pdf-pool.js', import.meta.url).href)) as typeof PoolModule;
const pool = new PdfPool(100_000_000, 1);
after(() => pool.close());

const NOTO = '/usr/share/fonts/opentype/noto';

const face = (family: string, charsets: number[], extra: Partial<InstalledFace> = {}): InstalledFace => ({
  file: `/fonts/${family}.ttf`, offset: 0, collection: false, size: 1, family, postscript: family.replace(/ /g, ''), charsets, weight: 400, italic: false, ...extra,
});

describe('choosing an installed font', () => {
  const faces = [
    face('DejaVu Sans', [0, 238, 204, 161]),
    // As fonts-noto-cjk's faces say: no Big5 bit, though they hold traditional characters.
    face('Noto Sans CJK JP', [0, 128, 134, 129]),
    face('Noto Serif CJK SC', [0, 128, 134, 129]),
    face('Noto Sans CJK SC', [0, 128, 134, 129]),
    face('Noto Sans CJK TC', [0, 128, 134, 129]),
    face('SimSun', [0, 134]),
  ];
  it('takes the font the PDF names when it is installed, by family or PostScript name', () => {
    assert.deepEqual(pickFace(faces, 'SimSun', 134, 0), { index: 5, exact: true });
    assert.deepEqual(pickFace(faces, 'NotoSansCJKtc', 136, 0), { index: 4, exact: true });
  });
  it('otherwise the best face for the script: the region first, then serif or sans as the PDF asks', () => {
    const without = faces.slice(0, 5);
    assert.equal(without[pickFace(without, 'STSong-Light', 134, 0x10)!.index]!.family, 'Noto Serif CJK SC');
    assert.equal(without[pickFace(without, 'STHeiti', 134, 0)!.index]!.family, 'Noto Sans CJK SC');
    assert.equal(without[pickFace(without, 'MingLiU', 136, 0)!.index]!.family, 'Noto Sans CJK TC');
    assert.equal(without[pickFace(without, 'MS-Mincho', 128, 0)!.index]!.family, 'Noto Sans CJK JP');
    assert.equal(pickFace(without, 'MingLiU', 136, 0)!.exact, false);
  });
  it('leaves Latin text in a font that is not installed to PDFium, and a script nothing covers too', () => {
    assert.equal(pickFace(faces, 'Garamond', 0, 0x10), undefined);
    assert.equal(pickFace(faces, 'Tahoma', 222, 0), undefined, 'Thai: no face covers it');
  });
});

describe('installed font files', () => {
  it('lists each face of a collection with its offset and scripts (fonts-noto-cjk)', () => {
    const faces = installedFaces([NOTO]);
    const sc = faces.find((f) => f.family === 'Noto Serif CJK SC');
    assert.ok(sc, `no Noto Serif CJK SC under ${NOTO}: install fonts-noto-cjk (the README's apt line)`);
    assert.equal(sc.collection, true);
    assert.ok(sc.offset > 0);
    assert.ok(sc.charsets.includes(134) && sc.charsets.includes(128), String(sc.charsets));
  });

  it('reads GLM_VISION_FONT_DIRS first', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'glmv-fonts-'));
    try {
      await symlink('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', path.join(dir, 'Mine.ttf'));
      const folders = fontFolders({ GLM_VISION_FONT_DIRS: dir });
      assert.equal(folders[0], dir);
      assert.equal(installedFaces([dir])[0]?.family, 'DejaVu Sans');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('doctor warns, naming the package, when no font covers Chinese, Japanese or Korean', () => {
    const none = checkPdfFonts({}, []);
    assert.equal(none.status, 'warn');
    assert.match(none.detail, /^0 font faces installed; none covers Chinese \(simplified\), Chinese \(traditional\), Japanese, Korean: /);
    assert.match(none.fix ?? '', /apt-get install fonts-noto-cjk/);
    const noto = checkPdfFonts({}, [NOTO]);
    assert.equal(noto.status, 'ok', noto.detail);
    assert.match(noto.detail, /Chinese \(simplified\): Noto (Sans|Serif) CJK SC/);
  });
});

describe('a PDF whose Chinese font is not embedded', () => {
  it('is drawn with an installed font: its characters are on the page, the same pixels every time', async () => {
    const render = async () => {
      const doc = await pool.open(makeUnembeddedCjkPdf());
      try {
        return await doc.render(1, { dpi: 72, maxPixels: 1_000_000 });
      } finally {
        await doc.close();
      }
    };
    const page = await render();
    assert.equal(page.text, '中文文本\nArial text');
    // Ink inside the four 48-point characters' box (x 20–212, y 12–62 from the top), not only in the Latin line.
    let ink = 0;
    for (let y = 12; y < 62; y++) {
      for (let x = 20; x < 212; x++) if (page.pixels[(y * page.width + x) * page.channels]! < 128) ink++;
    }
    assert.ok(ink > 800, `only ${ink} dark pixels where 中文文本 is drawn`);
    assert.equal((await render()).pixelHash, page.pixelHash);
  });
});
