// Fonts for PDFs that name a font without embedding it (common in Chinese,
// Japanese and Korean PDFs): without an installed font for the script, such
// text is drawn as nothing and the model sees a blank page.
import { fontFolders, installedFaces, pickFace } from '../pages/pdf-fonts.js';
import { ok, warn, type CheckResult } from './check.js';

const SCRIPTS: [charset: number, name: string][] = [[134, 'Chinese (simplified)'], [136, 'Chinese (traditional)'], [128, 'Japanese'], [129, 'Korean']];

export function checkPdfFonts(env: NodeJS.ProcessEnv, folders = fontFolders(env)): CheckResult {
  const faces = installedFaces(folders);
  const found = SCRIPTS.map(([charset, name]) => {
    const pick = pickFace(faces, '', charset, 0);
    return { name, face: pick && faces[pick.index]?.family };
  });
  const missing = found.filter((s) => !s.face).map((s) => s.name);
  const covered = found.filter((s) => s.face).map((s) => `${s.name}: ${s.face}`).join(', ');
  const count = `${faces.length} font faces installed`;
  if (missing.length === 0) return ok('pdf fonts', `${count}; for PDFs that do not embed their fonts: ${covered}`);
  return warn('pdf fonts',
    `${count}; none covers ${missing.join(', ')}: text in those scripts is drawn blank where a PDF does not embed its font (its text layer is still read)`,
    'install fonts for them: apt-get install fonts-noto-cjk (Debian, Ubuntu), or put .ttf/.otf/.ttc files in a folder named by GLM_VISION_FONT_DIRS');
}
