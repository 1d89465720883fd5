// Fonts for PDFs that name a font without embedding it (common in Chinese,
// Japanese and Korean PDFs): without an installed font for the script, such
// text is drawn as nothing and the model sees a blank page.
import { fontFolders, installedFaces, pickFace } from '../pages/pdf-fonts.js';
import { t, type MessageKey } from '../i18n/index.js';
import { ok, warn, type CheckResult } from './check.js';

const NAME = 'pdf fonts';
const SCRIPTS: [charset: number, name: MessageKey][] = [
  [134, 'doctor:fonts.script.zh_hans'], [136, 'doctor:fonts.script.zh_hant'], [128, 'doctor:fonts.script.ja'], [129, 'doctor:fonts.script.ko'],
];

export function checkPdfFonts(env: NodeJS.ProcessEnv, folders = fontFolders(env)): CheckResult {
  const faces = installedFaces(folders);
  const found = SCRIPTS.map(([charset, name]) => {
    const pick = pickFace(faces, '', charset, 0);
    return { name: t(name), face: pick && faces[pick.index]?.family };
  });
  const missing = found.filter((s) => !s.face).map((s) => s.name);
  const covered = found.filter((s) => s.face).map((s) => t('doctor:fonts.covered', { script: s.name, face: s.face })).join(t('cli:list.names'));
  const count = faces.length;
  if (missing.length === 0) return ok(NAME, t('doctor:fonts.ok', { count, covered }));
  return warn(NAME, t('doctor:fonts.missing', { count, scripts: missing.join(t('cli:list.names')) }), t('doctor:fonts.missing.fix'));
}
