#!/usr/bin/env node
// Renders the sample scans in examples/scans/: a typed letter, a Chinese receipt, a bilingual
// chart, a bilingual form, a street photo with Chinese signs and an English invoice.
//
//   node examples/make-samples.mjs [OUTDIR]      (default: examples/scans next to this script)
//
// Each page is drawn as SVG, rendered with sharp (librsvg + Pango, fonts from fontconfig), then
// made to look scanned: slightly rotated on the scanner bed, softened, grained, JPEG-encoded.
// Everything random comes from a seeded PRNG, so re-running gives byte-identical files on the same
// machine (fonts and the sharp version decide the exact pixels, so other machines may differ).
//
// Chinese text needs a CJK font. Without one the Chinese samples are skipped, not written as
// boxes, and the script exits 1 with the fix: the committed examples/scans/ need no fonts.
import { Buffer } from 'node:buffer';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const HERE = path.dirname(fileURLToPath(import.meta.url));

const SANS = "'Liberation Sans', Arial, Helvetica, 'Nimbus Sans', 'DejaVu Sans', sans-serif";
const SERIF = "'Liberation Serif', 'Times New Roman', 'Nimbus Roman', 'DejaVu Serif', serif";
const TYPEWRITER = "'Nimbus Mono PS', 'Courier New', Courier, 'Liberation Mono', 'DejaVu Sans Mono', monospace";
const SCRIPT = "Z003, 'URW Chancery L', 'Apple Chancery', 'Segoe Script', cursive";
const CJK_SANS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif";
const CJK_SERIF = "'Noto Serif CJK SC', 'Source Han Serif SC', 'Songti SC', SimSun, 'Noto Sans CJK SC', serif";
const CJK_MONO = "'Noto Sans Mono CJK SC', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', monospace";

// ---------------------------------------------------------------------------
// Small helpers

/** mulberry32: tiny, fast and seedable, so every run draws the same "random" grain. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r1 = (n) => Math.round(n * 10) / 10;

/** One line of text. */
function text(x, y, str, o = {}) {
  const attrs = [
    `x="${r1(x)}"`, `y="${r1(y)}"`,
    `font-family="${o.family ?? SANS}"`, `font-size="${o.size ?? 20}"`,
    `fill="${o.fill ?? '#1b1b1b'}"`,
  ];
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  if (o.style) attrs.push(`font-style="${o.style}"`);
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  if (o.spacing) attrs.push(`letter-spacing="${o.spacing}"`);
  if (o.opacity !== undefined) attrs.push(`opacity="${o.opacity}"`);
  if (o.transform) attrs.push(`transform="${o.transform}"`);
  return `<text ${attrs.join(' ')}>${esc(str)}</text>`;
}

/**
 * Typewriter lines: fixed pitch placed by hand (so any monospace font lines up), with each
 * strike a little lighter or darker and a little off the baseline, as a real machine types.
 */
function typed(lines, { x, y, size, lineHeight, rnd, ink = '#161616' }) {
  const pitch = size * 0.6;
  const out = [];
  lines.forEach((line, row) => {
    const spans = [];
    [...line].forEach((ch, col) => {
      if (ch === ' ') return;
      const dy = (rnd() - 0.5) * 1.4;
      const opacity = (0.72 + rnd() * 0.28).toFixed(2);
      spans.push(`<tspan x="${r1(x + col * pitch)}" y="${r1(y + row * lineHeight + dy)}" fill-opacity="${opacity}">${esc(ch)}</tspan>`);
    });
    if (spans.length) out.push(`<text font-family="${TYPEWRITER}" font-size="${size}" fill="${ink}">${spans.join('')}</text>`);
  });
  return out.join('\n');
}

/** Filled in by hand with a pen: characters a little tilted, uneven in size and baseline. */
function handwritten(x, y, str, { size = 26, rnd, ink = '#1d3a8c', family = CJK_SANS, advance = 1 }) {
  let cx = x;
  const out = [];
  for (const ch of str) {
    const wide = ch.codePointAt(0) > 0x2e80;
    const s = size * (0.93 + rnd() * 0.14);
    const rot = (rnd() - 0.5) * 8;
    const dy = (rnd() - 0.5) * 3;
    if (ch !== ' ') {
      out.push(`<text x="${r1(cx)}" y="${r1(y + dy)}" font-family="${family}" font-size="${r1(s)}" fill="${ink}" transform="rotate(${r1(rot)} ${r1(cx)} ${r1(y)})">${esc(ch)}</text>`);
    }
    cx += (wide ? size * 1.02 : size * 0.58) * advance;
  }
  return out.join('');
}

/** A pen tick for a checkbox whose top-left corner is (x, y). */
const tick = (x, y, s, ink = '#1d3a8c') =>
  `<path d="M${x + s * 0.15} ${y + s * 0.55} L${x + s * 0.42} ${y + s * 0.85} L${x + s * 1.05} ${y - s * 0.1}" fill="none" stroke="${ink}" stroke-width="3.2" stroke-linecap="round" stroke-linejoin="round"/>`;

const svg = (width, height, body, defs = '') =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><defs>${defs}</defs>${body}</svg>`;

// ---------------------------------------------------------------------------
// Scanner and camera effects

/**
 * Puts a rendered page on a scanner bed: rotated a little, with a soft shadow, then softened,
 * unevenly lit, grained and speckled. Returns raw RGB pixels.
 */
async function scanPage(pageSvg, o) {
  const rnd = prng(o.seed);
  const page = await sharp(Buffer.from(pageSvg)).flatten({ background: '#ffffff' }).blur(o.blur ?? 0.55).png().toBuffer();
  const rotated = await sharp(page)
    .ensureAlpha()
    .rotate(o.angle, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer({ resolveWithObject: true });
  const { width: rw, height: rh } = rotated.info;
  const alpha = await sharp(rotated.data).extractChannel(3).linear(o.shadow ?? 0.35, 0).blur(5).raw().toBuffer();
  const shadow = await sharp({ create: { width: rw, height: rh, channels: 3, background: '#000000' } })
    .joinChannel(alpha, { raw: { width: rw, height: rh, channels: 1 } })
    .png()
    .toBuffer();
  const m = o.margin;
  const width = rw + m[1] + m[3];
  const height = rh + m[0] + m[2];
  const { data, info } = await sharp({ create: { width, height, channels: 3, background: o.bed } })
    .composite([
      { input: shadow, left: m[3] + 3, top: m[0] + 5 },
      { input: rotated.data, left: m[3], top: m[0] },
    ])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  grain(data, info.width, info.height, rnd, o);
  return { data, width: info.width, height: info.height };
}

/**
 * In place on RGB pixels: uneven lamp light across the page, fold lines, sensor grain and dust.
 * `folds` are fractions of the height.
 */
function grain(px, width, height, rnd, { noise = 6, light = 0.05, folds = [], dust = 0 }) {
  const table = new Float32Array(65521);
  for (let i = 0; i < table.length; i++) table[i] = (rnd() + rnd() + rnd() - 1.5) * noise * 1.4;
  let k = Math.floor(rnd() * table.length);
  const foldRows = folds.map((f) => f * height);
  for (let y = 0; y < height; y++) {
    let rowShade = 1 - light * (y / height) ** 2;
    for (const fy of foldRows) {
      const d = (y - fy) / 3;
      rowShade -= 0.035 * Math.exp(-d * d) - 0.012 * Math.exp(-(((y - fy - 6) / 6) ** 2));
    }
    for (let x = 0; x < width; x++) {
      const shade = rowShade * (1 - light * 0.6 * (x / width));
      const n = table[k];
      k = k + 1 === table.length ? 0 : k + 1;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = px[i + c] * shade + n;
        px[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
    }
  }
  for (let d = 0; d < dust; d++) {
    const cx = Math.floor(rnd() * width);
    const cy = Math.floor(rnd() * height);
    const radius = rnd() < 0.85 ? 0 : 1;
    const depth = 25 + rnd() * 70;
    for (let y = cy - radius; y <= cy + radius; y++) {
      for (let x = cx - radius; x <= cx + radius; x++) {
        if (x < 0 || y < 0 || x >= width || y >= height || (x - cx) ** 2 + (y - cy) ** 2 > radius * radius) continue;
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) px[i + c] = Math.max(0, px[i + c] - depth);
      }
    }
  }
}

/** A camera's corners are darker than its centre. */
function vignette(px, width, height, strength) {
  const cx = width / 2;
  const cy = height / 2;
  const max = cx * cx + cy * cy;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const f = 1 - strength * (((x - cx) ** 2 + (y - cy) ** 2) / max) ** 1.3;
      const i = (y * width + x) * 3;
      px[i] *= f;
      px[i + 1] *= f;
      px[i + 2] *= f;
    }
  }
}

const fromRaw = ({ data, width, height }) => sharp(data, { raw: { width, height, channels: 3 } });

// ---------------------------------------------------------------------------
// The samples

async function letter() {
  const W = 1020;
  const H = 1442;
  const rnd = prng(1987);
  const body = [
    '                                         12 March 1987',
    '',
    'Mrs. Adaeze Okafor',
    '27 Linden Row',
    'Port Ellis PE4 2HJ',
    '',
    '',
    'Dear Mrs. Okafor,',
    '',
    'Thank you for your generous donation of photographs from',
    "your late father's studio. The committee examined the",
    'collection at its meeting on 9 March and was delighted to',
    'find forty-two glass negatives of the old ferry terminal,',
    'taken between 1921 and 1934, together with three albums of',
    'family portraits.',
    '',
    'With your permission we would like to copy the negatives',
    'and show a selection at our summer exhibition, "The Harbour',
    'at Work", which opens on 6 June in the Town Hall. The',
    'originals will be kept in acid-free boxes in our strong',
    'room, and you may see them at any time by arrangement.',
    '',
    'A receipt listing every item is enclosed. Please sign and',
    'return the yellow copy at your convenience.',
    '',
    'Yours sincerely,',
  ];
  const closing = ['Arthur P. Lindqvist', 'Honorary Secretary', '', '', 'Encl. Receipt (2 copies)'];
  const size = 23;
  const lh = 30;
  const x0 = 118;
  const y0 = 330;
  const sigY = y0 + body.length * lh + 70;
  const content = [
    `<rect width="${W}" height="${H}" fill="#f4efe2"/>`,
    text(W / 2, 120, 'HARBOUR VIEW HISTORICAL SOCIETY', { family: SERIF, size: 34, weight: 'bold', anchor: 'middle', spacing: 3, fill: '#202020' }),
    text(W / 2, 158, 'Founded 1952  \u00b7  14 Quay Street  \u00b7  Port Ellis PE1 3AB  \u00b7  Telephone 0412 55 3190', { family: SERIF, size: 17, anchor: 'middle', fill: '#333' }),
    `<line x1="110" y1="180" x2="${W - 110}" y2="180" stroke="#222" stroke-width="2"/>`,
    `<line x1="110" y1="185" x2="${W - 110}" y2="185" stroke="#222" stroke-width="0.8"/>`,
    typed(body, { x: x0, y: y0 - 2 * lh, size, lineHeight: lh, rnd }),
    // Signed with a fountain pen.
    text(x0 + 8, sigY - 8, 'A. P. Lindqvist', { family: SCRIPT, size: 46, fill: '#1f2a55', transform: `rotate(-4 ${x0} ${sigY})` }),
    `<path d="M${x0 + 4} ${sigY + 8} C ${x0 + 90} ${sigY + 2}, ${x0 + 200} ${sigY - 10}, ${x0 + 290} ${sigY - 22}" fill="none" stroke="#1f2a55" stroke-width="2.2" stroke-linecap="round"/>`,
    typed(closing, { x: x0, y: sigY + 50, size, lineHeight: lh, rnd }),
    // Date stamp of the recipient's office, in violet ink.
    `<g transform="rotate(-6 770 372)" opacity="0.78">`,
    `<rect x="645" y="324" width="250" height="96" rx="8" fill="none" stroke="#5a3a86" stroke-width="3"/>`,
    text(770, 358, 'RECEIVED', { family: SANS, size: 24, weight: 'bold', anchor: 'middle', fill: '#5a3a86', spacing: 4 }),
    text(770, 394, '14 MAR 1987', { family: SANS, size: 26, weight: 'bold', anchor: 'middle', fill: '#5a3a86', spacing: 2 }),
    `</g>`,
    text(W / 2, H - 60, 'Registered charity No. 1 045 327', { family: SERIF, size: 14, anchor: 'middle', fill: '#555' }),
  ].join('\n');
  const scanned = await scanPage(svg(W, H, content), {
    seed: 11, angle: -0.7, margin: [14, 22, 26, 16], bed: '#e9e9e6', noise: 5, light: 0.06, folds: [0.335, 0.665], dust: 40,
  });
  return fromRaw(scanned).toColourspace('b-w').jpeg({ quality: 78, mozjpeg: true }).toBuffer();
}

async function receipt() {
  const W = 500;
  const H = 1150;
  const rnd = prng(315);
  const ink = '#262626';
  const mono = (x, y, s, o = {}) => text(x, y, s, { family: CJK_MONO, size: 22, fill: ink, ...o });
  const dash = (y) => mono(W / 2, y, '- - - - - - - - - - - - - - - - - - - -', { anchor: 'middle', size: 18 });
  const items = [
    ['农夫山泉 550ml', '2', '2.00', '4.00'],
    ['康师傅红烧牛肉面', '1', '4.50', '4.50'],
    ['光明纯牛奶 250ml', '3', '3.80', '11.40'],
    ['奥利奥夹心饼干', '1', '9.90', '9.90'],
    ['晨光中性笔 0.5mm', '2', '3.00', '6.00'],
  ];
  const rows = [];
  let y = 70;
  rows.push(mono(W / 2, y, '青禾便利店', { anchor: 'middle', size: 36, weight: 'bold' }));
  rows.push(mono(W / 2, (y += 34), 'QINGHE CONVENIENCE STORE', { anchor: 'middle', size: 17 }));
  rows.push(mono(W / 2, (y += 34), '上海市徐汇区漕溪北路 88 号', { anchor: 'middle', size: 19 }));
  rows.push(mono(W / 2, (y += 28), '电话：021-6438 2715', { anchor: 'middle', size: 19 }));
  rows.push(dash((y += 30)));
  rows.push(mono(26, (y += 34), '单号：20240315-0427'));
  rows.push(mono(26, (y += 32), '日期：2024-03-15  14:32:08'));
  rows.push(mono(26, (y += 32), '收银员：03 王芳      机号：02'));
  rows.push(dash((y += 30)));
  y += 34;
  rows.push(mono(26, y, '品名'), mono(318, y, '数量', { anchor: 'end' }), mono(396, y, '单价', { anchor: 'end' }), mono(474, y, '金额', { anchor: 'end' }));
  for (const [name, qty, price, amount] of items) {
    y += 34;
    rows.push(mono(26, y, name, { size: 21 }), mono(306, y, qty, { anchor: 'end' }), mono(396, y, price, { anchor: 'end' }), mono(474, y, amount, { anchor: 'end' }));
  }
  rows.push(dash((y += 30)));
  const line = (label, value, o = {}) => {
    y += o.gap ?? 34;
    rows.push(mono(26, y, label, o), mono(474, y, value, { anchor: 'end', ...o }));
  };
  line('合计件数：', '9');
  line('应付金额：', '¥35.80');
  line('会员优惠：', '-¥2.00');
  line('实付金额：', '¥33.80', { size: 26, weight: 'bold', gap: 40 });
  line('支付方式：', '微信支付');
  line('会员卡号：', '6215****8830');
  rows.push(dash((y += 30)));
  rows.push(mono(W / 2, (y += 36), '谢谢惠顾，欢迎再次光临！', { anchor: 'middle' }));
  rows.push(mono(W / 2, (y += 30), '凭小票 30 日内开具发票', { anchor: 'middle', size: 18 }));
  // Barcode of the ticket number, bar widths from the PRNG.
  y += 26;
  let bx = 80;
  const bars = [];
  while (bx < W - 84) {
    const w = 1 + Math.floor(rnd() * 3.2);
    bars.push(`<rect x="${bx}" y="${y}" width="${w}" height="70" fill="${ink}"/>`);
    bx += w + 1 + Math.floor(rnd() * 3);
  }
  rows.push(bars.join(''));
  rows.push(mono(W / 2, y + 96, '2024031504270215', { anchor: 'middle', size: 17, spacing: 2 }));
  // Thermal paper: bluish white, print fading toward the right edge, a torn bottom edge.
  const tear = [];
  for (let x = 0; x <= W; x += 10) tear.push(`${x},${H - 14 + Math.round(rnd() * 10)}`);
  const defs = `<linearGradient id="fade" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#fff" stop-opacity="0"/><stop offset="1" stop-color="#fbfbf8" stop-opacity="0.35"/></linearGradient>
<linearGradient id="curl" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#000" stop-opacity="0.08"/><stop offset="0.12" stop-color="#000" stop-opacity="0"/><stop offset="0.85" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="0.1"/></linearGradient>
<clipPath id="paper"><polygon points="0,0 ${W},0 ${tear.reverse().join(' ')} 0,${H}"/></clipPath>`;
  const content = `<g clip-path="url(#paper)"><rect width="${W}" height="${H}" fill="#f7f7f2"/>${rows.join('\n')}<rect width="${W}" height="${H}" fill="url(#fade)"/><rect width="${W}" height="${H}" fill="url(#curl)"/></g>`;
  const scanned = await scanPage(svg(W, H, content, defs), {
    seed: 12, angle: 1.3, margin: [46, 70, 40, 64], bed: '#3c3d40', shadow: 0.6, noise: 6, light: 0.04, dust: 25, blur: 0.6,
  });
  return fromRaw(scanned).jpeg({ quality: 80, mozjpeg: true }).toBuffer();
}

async function chart() {
  const W = 1200;
  const H = 820;
  const series = [
    { name: '线上 Online', color: '#2f6db5', values: [120, 145, 168, 240] },
    { name: '门店 Stores', color: '#e08a2c', values: [210, 198, 225, 310] },
  ];
  const quarters = [['第一季度', 'Q1'], ['第二季度', 'Q2'], ['第三季度', 'Q3'], ['第四季度', 'Q4']];
  const left = 170;
  const right = 1130;
  const top = 170;
  const bottom = 650;
  const max = 350;
  const yOf = (v) => bottom - (v / max) * (bottom - top);
  const parts = [
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    text(W / 2, 62, '2023 年各季度销售额', { family: CJK_SANS, size: 36, weight: 'bold', anchor: 'middle', fill: '#1a1a1a' }),
    text(W / 2, 102, 'Quarterly Sales, 2023 (10,000 CNY)', { family: SANS, size: 24, anchor: 'middle', fill: '#444' }),
  ];
  for (let v = 0; v <= max; v += 50) {
    const y = yOf(v);
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="${v === 0 ? '#333' : '#d9d9d9'}" stroke-width="${v === 0 ? 2 : 1}"/>`);
    parts.push(text(left - 14, y + 7, String(v), { size: 20, anchor: 'end', fill: '#333' }));
  }
  parts.push(`<line x1="${left}" y1="${top - 10}" x2="${left}" y2="${bottom}" stroke="#333" stroke-width="2"/>`);
  const group = (right - left) / quarters.length;
  const bar = 78;
  quarters.forEach(([zh, en], q) => {
    const cx = left + group * (q + 0.5);
    series.forEach((s, i) => {
      const v = s.values[q];
      const x = cx - bar + i * bar + (i === 0 ? -4 : 4);
      parts.push(`<rect x="${x}" y="${yOf(v)}" width="${bar}" height="${bottom - yOf(v)}" fill="${s.color}"/>`);
      parts.push(text(x + bar / 2, yOf(v) - 10, String(v), { size: 20, anchor: 'middle', fill: '#222', weight: 'bold' }));
    });
    parts.push(text(cx, bottom + 36, zh, { family: CJK_SANS, size: 22, anchor: 'middle', fill: '#222' }));
    parts.push(text(cx, bottom + 64, en, { size: 20, anchor: 'middle', fill: '#444' }));
  });
  parts.push(text(W / 2, bottom + 110, '季度  Quarter', { family: CJK_SANS, size: 22, anchor: 'middle', fill: '#333' }));
  parts.push(text(62, (top + bottom) / 2, '销售额（万元）  Sales (10k CNY)', {
    family: CJK_SANS, size: 22, anchor: 'middle', fill: '#333', transform: `rotate(-90 62 ${(top + bottom) / 2})`,
  }));
  series.forEach((s, i) => {
    const x = right - 360 + i * 190;
    parts.push(`<rect x="${x}" y="${top - 42}" width="26" height="20" fill="${s.color}"/>`);
    parts.push(text(x + 36, top - 25, s.name, { family: CJK_SANS, size: 20, fill: '#222' }));
  });
  parts.push(text(left, H - 22, '数据来源：公司财务部    Source: Finance Department, unaudited', { family: CJK_SANS, size: 17, fill: '#777' }));
  return sharp(Buffer.from(svg(W, H, parts.join('\n')))).flatten({ background: '#ffffff' }).png({ palette: true, colours: 96, compressionLevel: 9 }).toBuffer();
}

async function form() {
  const W = 1100;
  const H = 1556;
  const rnd = prng(506);
  const line = '#333';
  const parts = [`<rect width="${W}" height="${H}" fill="#fbfaf5"/>`];
  const t = (x, y, s, o = {}) => parts.push(text(x, y, s, { family: CJK_SERIF, size: 22, fill: '#1a1a1a', ...o }));
  const en = (x, y, s, o = {}) => parts.push(text(x, y, s, { family: SANS, size: 14, fill: '#555', ...o }));
  const pen = (x, y, s, o = {}) => parts.push(handwritten(x, y, s, { rnd, ...o }));
  const box = (x, y, w, h, sw = 1.5) => parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${line}" stroke-width="${sw}"/>`);
  const check = (x, y, zh, enLabel, checked) => {
    box(x, y - 19, 22, 22);
    if (checked) parts.push(tick(x, y - 19, 22));
    t(x + 32, y, zh, { size: 20 });
    en(x + 32 + zh.length * 20 + 6, y, enLabel);
  };

  t(W / 2, 92, '市立图书馆读者登记表', { size: 40, weight: 'bold', anchor: 'middle', spacing: 4 });
  en(W / 2, 130, 'CITY LIBRARY  \u00b7  READER REGISTRATION FORM', { size: 20, anchor: 'middle', fill: '#333', spacing: 2 });
  t(70, 182, '请用黑色或蓝色钢笔正楷填写', { size: 17, fill: '#444' });
  en(70, 202, 'Please complete in block letters with a black or blue pen.');
  t(W - 70, 182, '表号 Form No. LR-2024-0517', { size: 17, anchor: 'end', fill: '#444' });

  const X0 = 60;
  const X1 = W - 60;
  const LABEL = 230;
  const rowH = 78;
  let y = 230;
  const labelCell = (zh, enLabel, x = X0, w = LABEL) => {
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${rowH}" fill="#efece2"/>`);
    t(x + 14, y + 34, zh, { size: 21 });
    en(x + 14, y + 58, enLabel);
  };
  const rowLine = () => parts.push(`<line x1="${X0}" y1="${y + rowH}" x2="${X1}" y2="${y + rowH}" stroke="${line}" stroke-width="1.2"/>`);
  const top = y;

  // Name and sex.
  labelCell('姓名', 'Full name');
  pen(X0 + LABEL + 24, y + 50, '陈晓雯', { size: 32 });
  labelCell('性别', 'Sex', 640, 130);
  check(800, y + 48, '女', 'F', true);
  check(920, y + 48, '男', 'M', false);
  rowLine();
  y += rowH;

  // Date of birth in boxes.
  labelCell('出生日期', 'Date of birth');
  const digitBoxes = (x, digits, n) => {
    for (let i = 0; i < n; i++) {
      box(x + i * 34, y + 20, 34, 40, 1.2);
      const d = digits[i];
      if (d) pen(x + i * 34 + 8, y + 52, d, { size: 28, family: SANS });
    }
    return x + n * 34;
  };
  let x = digitBoxes(X0 + LABEL + 24, '1992', 4);
  t(x + 8, y + 49, '年');
  x = digitBoxes(x + 42, '08', 2);
  t(x + 8, y + 49, '月');
  x = digitBoxes(x + 42, '17', 2);
  t(x + 8, y + 49, '日');
  en(x + 40, y + 48, '(YYYY / MM / DD)');
  rowLine();
  y += rowH;

  // ID type and number; the last four boxes were left empty.
  labelCell('证件类型', 'ID document');
  check(X0 + LABEL + 24, y + 48, '居民身份证', 'ID card', true);
  check(X0 + LABEL + 290, y + 48, '护照', 'Passport', false);
  check(X0 + LABEL + 470, y + 48, '其他', 'Other', false);
  rowLine();
  y += rowH;
  labelCell('证件号码', 'ID number');
  digitBoxes(X0 + LABEL + 24, '33010619920817', 18);
  rowLine();
  y += rowH;

  labelCell('联系电话', 'Telephone');
  pen(X0 + LABEL + 24, y + 50, '139 0571 2468', { size: 30, family: SANS });
  labelCell('电子邮箱', 'E-mail', 640, 130);
  rowLine();
  y += rowH;

  labelCell('通讯地址', 'Postal address');
  pen(X0 + LABEL + 24, y + 50, '杭州市西湖区文三路 259 号 3 单元 502 室', { size: 28 });
  rowLine();
  y += rowH;

  labelCell('读者类型', 'Reader type');
  check(X0 + LABEL + 24, y + 48, '成人', 'Adult', true);
  check(X0 + LABEL + 200, y + 48, '学生', 'Student', false);
  check(X0 + LABEL + 390, y + 48, '儿童', 'Child', false);
  check(X0 + LABEL + 560, y + 48, '长者', 'Senior', false);
  rowLine();
  y += rowH;

  labelCell('阅读兴趣', 'Interests');
  check(X0 + LABEL + 24, y + 48, '历史', 'History', true);
  check(X0 + LABEL + 200, y + 48, '文学', 'Literature', false);
  check(X0 + LABEL + 390, y + 48, '摄影', 'Photography', true);
  check(X0 + LABEL + 590, y + 48, '科技', 'Science', false);
  rowLine();
  y += rowH;

  labelCell('紧急联系人', 'Emergency contact');
  pen(X0 + LABEL + 24, y + 50, '陈建国（父亲） 138 5716 0923', { size: 28 });
  y += rowH;
  // Grid: outer frame and the column lines.
  box(X0, top, X1 - X0, y - top, 2.2);
  parts.push(`<line x1="${X0 + LABEL}" y1="${top}" x2="${X0 + LABEL}" y2="${y}" stroke="${line}" stroke-width="1.2"/>`);
  for (const r of [0, 4]) {
    parts.push(`<line x1="640" y1="${top + r * rowH}" x2="640" y2="${top + (r + 1) * rowH}" stroke="${line}" stroke-width="1.2"/>`);
    parts.push(`<line x1="770" y1="${top + r * rowH}" x2="770" y2="${top + (r + 1) * rowH}" stroke="${line}" stroke-width="1.2"/>`);
  }

  // Declaration and signature.
  y += 60;
  t(X0, y, '本人已阅读并同意遵守《读者借阅规则》，以上信息真实有效。', { size: 21 });
  en(X0, y + 26, 'I have read and agree to the Library Lending Rules; the information above is true and complete.', { size: 15 });
  y += 100;
  t(X0, y, '申请人签名', { size: 21 });
  en(X0, y + 22, 'Signature');
  parts.push(`<line x1="${X0 + 130}" y1="${y + 8}" x2="${X0 + 420}" y2="${y + 8}" stroke="${line}" stroke-width="1.2"/>`);
  pen(X0 + 160, y - 4, '陈晓雯', { size: 40, advance: 0.92, ink: '#14296e' });
  t(X0 + 500, y, '填表日期', { size: 21 });
  en(X0 + 500, y + 22, 'Date');
  parts.push(`<line x1="${X0 + 600}" y1="${y + 8}" x2="${X1}" y2="${y + 8}" stroke="${line}" stroke-width="1.2"/>`);
  pen(X0 + 620, y - 2, '2024 年 5 月 6 日', { size: 28 });

  // Staff section with the library's round seal.
  y += 90;
  parts.push(`<rect x="${X0}" y="${y}" width="${X1 - X0}" height="220" fill="none" stroke="${line}" stroke-width="1.5" stroke-dasharray="8 5"/>`);
  t(X0 + 20, y + 40, '以下由工作人员填写', { size: 21, weight: 'bold' });
  en(X0 + 230, y + 39, 'For staff use only', { size: 16 });
  t(X0 + 20, y + 100, '读者证号', { size: 20 });
  en(X0 + 20, y + 120, 'Card No.');
  parts.push(`<line x1="${X0 + 120}" y1="${y + 104}" x2="${X0 + 460}" y2="${y + 104}" stroke="${line}" stroke-width="1"/>`);
  pen(X0 + 140, y + 96, 'HZ 0 2 4 1 7 7 3', { size: 26, family: SANS, ink: '#222' });
  t(X0 + 20, y + 170, '经办人', { size: 20 });
  en(X0 + 20, y + 190, 'Clerk');
  parts.push(`<line x1="${X0 + 120}" y1="${y + 174}" x2="${X0 + 460}" y2="${y + 174}" stroke="${line}" stroke-width="1"/>`);
  pen(X0 + 150, y + 166, '周', { size: 30, ink: '#222' });
  const sx = 800;
  const sy = y + 110;
  const seal = [`<g opacity="0.78" transform="rotate(-12 ${sx} ${sy})">`,
    `<circle cx="${sx}" cy="${sy}" r="92" fill="none" stroke="#c8202a" stroke-width="5"/>`,
    `<polygon points="${[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => {
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      const rr = i % 2 ? 11 : 27;
      return `${r1(sx + rr * Math.cos(a))},${r1(sy - 4 + rr * Math.sin(a))}`;
    }).join(' ')}" fill="#c8202a"/>`];
  const arc = '杭州市立图书馆';
  [...arc].forEach((ch, i) => {
    const a = (-150 + (i * 120) / (arc.length - 1)) * (Math.PI / 180);
    const deg = (a * 180) / Math.PI + 90;
    const px = sx + 68 * Math.cos(a);
    const py = sy + 68 * Math.sin(a);
    seal.push(`<text x="${r1(px)}" y="${r1(py)}" font-family="${CJK_SERIF}" font-size="25" font-weight="bold" fill="#c8202a" text-anchor="middle" dominant-baseline="central" transform="rotate(${r1(deg)} ${r1(px)} ${r1(py)})">${ch}</text>`);
  });
  seal.push(text(sx, sy + 52, '读者服务部', { family: CJK_SERIF, size: 19, weight: 'bold', anchor: 'middle', fill: '#c8202a' }));
  seal.push('</g>');
  parts.push(seal.join(''));
  en(W / 2, H - 50, '杭州市立图书馆 Hangzhou City Library  \u00b7  文三路 100 号  \u00b7  0571-8765 4321', { family: CJK_SANS, size: 15, anchor: 'middle', fill: '#666' });

  const scanned = await scanPage(svg(W, H, parts.join('\n')), {
    seed: 13, angle: 0.45, margin: [12, 18, 20, 10], bed: '#ececea', noise: 5, light: 0.05, dust: 30,
  });
  return fromRaw(scanned).jpeg({ quality: 78, mozjpeg: true }).toBuffer();
}

async function street() {
  const W = 1280;
  const H = 853;
  const rnd = prng(2718);
  const vx = 660;
  const vy = 420;
  // A point on the line from (x, y) toward the vanishing point, fraction f of the way.
  const toward = (x, y, f) => [x + (vx - x) * f, y + (vy - y) * f];
  const poly = (pts, fill, extra = '') => `<polygon points="${pts.map(([a, b]) => `${r1(a)},${r1(b)}`).join(' ')}" fill="${fill}" ${extra}/>`;
  const defs = `
<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#6f9fd0"/><stop offset="0.55" stop-color="#bcd3e6"/><stop offset="1" stop-color="#f2dcbc"/></linearGradient>
<linearGradient id="road" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#b9ad9c"/><stop offset="1" stop-color="#6e6458"/></linearGradient>
<linearGradient id="wallL" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="#d9d2c4"/><stop offset="1" stop-color="#efe8da"/></linearGradient>
<linearGradient id="wallR" x1="1" y1="0" x2="0" y2="0"><stop offset="0" stop-color="#a39a8b"/><stop offset="1" stop-color="#cfc6b4"/></linearGradient>
<radialGradient id="lantern" cx="0.4" cy="0.35" r="0.7"><stop offset="0" stop-color="#ff8a5c"/><stop offset="0.6" stop-color="#d4241c"/><stop offset="1" stop-color="#7d0f0c"/></radialGradient>
<radialGradient id="leaf" cx="0.4" cy="0.35" r="0.7"><stop offset="0" stop-color="#7da548"/><stop offset="1" stop-color="#2f5222"/></radialGradient>
<filter id="haze"><feGaussianBlur stdDeviation="3"/></filter>
<filter id="soft"><feGaussianBlur stdDeviation="1.2"/></filter>`;
  const p = [`<rect width="${W}" height="${H}" fill="url(#sky)"/>`];
  // Hills in the haze beyond the street's end.
  p.push(`<path d="M380 440 C 470 360, 560 380, 640 350 C 720 330, 800 380, 900 440 Z" fill="#8d9fae" filter="url(#haze)"/>`);
  // Road and the stone kerbs.
  p.push(poly([[0, H], [W, H], toward(W, H, 1), toward(0, H, 1)], 'url(#road)'));
  for (let i = 1; i < 14; i++) {
    const f = 1 - 1 / (1 + i * 0.35);
    const [ax, ay] = toward(0, H, f);
    const [bx] = toward(W, H, f);
    p.push(`<line x1="${r1(ax)}" y1="${r1(ay)}" x2="${r1(bx)}" y2="${r1(ay)}" stroke="#5d554b" stroke-width="${r1(2.5 * (1 - f) + 0.4)}" opacity="0.45"/>`);
  }
  // Left side: two-storey shop fronts, white walls and dark timber, receding to the end of the street.
  const leftTop = 60;
  const leftBase = 760;
  p.push(poly([[0, leftTop], toward(0, leftTop, 0.9), toward(0, leftBase, 0.9), [0, leftBase]], 'url(#wallL)'));
  const bays = [0, 0.28, 0.48, 0.62, 0.72, 0.79, 0.84, 0.9];
  for (let b = 0; b < bays.length - 1; b++) {
    const f0 = bays[b];
    const f1 = bays[b + 1];
    const a = (y, f) => toward(0, y, f);
    // Ground-floor shop opening (dark timber), upper windows, eaves.
    p.push(poly([a(470, f0 + 0.02), a(470, f1 - 0.01), a(leftBase, f1 - 0.01), a(leftBase, f0 + 0.02)], b % 2 ? '#4a3322' : '#5a3b26'));
    p.push(poly([a(520, f0 + 0.05), a(520, f1 - 0.04), a(700, f1 - 0.04), a(700, f0 + 0.05)], '#2a1f18', 'opacity="0.85"'));
    p.push(poly([a(200, f0 + 0.06), a(200, f1 - 0.05), a(330, f1 - 0.05), a(330, f0 + 0.06)], '#3b4046'));
    p.push(poly([a(430, f0), a(430, f1), a(458, f1), a(458, f0)], '#3d3f44'));
    p.push(poly([a(leftTop - 10, f0), a(leftTop - 10, f1), a(leftTop + 30, f1), a(leftTop + 30, f0)], '#33363b'));
  }
  // Right side, in shadow.
  const rightTop = 120;
  const rightBase = 780;
  p.push(poly([[W, rightTop], toward(W, rightTop, 0.9), toward(W, rightBase, 0.9), [W, rightBase]], 'url(#wallR)'));
  for (let b = 0; b < bays.length - 1; b++) {
    const a = (y, f) => toward(W, y, f);
    const f0 = bays[b];
    const f1 = bays[b + 1];
    p.push(poly([a(480, f0 + 0.02), a(480, f1 - 0.01), a(rightBase, f1 - 0.01), a(rightBase, f0 + 0.02)], '#3e2c20'));
    p.push(poly([a(240, f0 + 0.06), a(240, f1 - 0.05), a(360, f1 - 0.05), a(360, f0 + 0.06)], '#2c3036'));
    p.push(poly([a(rightTop - 10, f0), a(rightTop - 10, f1), a(rightTop + 30, f1), a(rightTop + 30, f0)], '#2a2c31'));
  }
  // Lantern strings across the street, with lanterns.
  for (const [f, n] of [[0.25, 7], [0.55, 9]]) {
    const [ax, ay] = toward(0, 140, f);
    const [bx, by] = toward(W, 190, f);
    const sag = 60 * (1 - f);
    p.push(`<path d="M${r1(ax)} ${r1(ay)} Q ${r1((ax + bx) / 2)} ${r1((ay + by) / 2 + sag * 2)} ${r1(bx)} ${r1(by)}" fill="none" stroke="#222" stroke-width="${r1(2 * (1 - f) + 0.6)}"/>`);
    for (let i = 1; i < n; i++) {
      const s = i / n;
      const lx = (1 - s) ** 2 * ax + 2 * s * (1 - s) * ((ax + bx) / 2) + s * s * bx;
      const ly = (1 - s) ** 2 * ay + 2 * s * (1 - s) * ((ay + by) / 2 + sag * 2) + s * s * by;
      const rr = 24 * (1 - f) + 5;
      p.push(`<line x1="${r1(lx)}" y1="${r1(ly)}" x2="${r1(lx)}" y2="${r1(ly + rr * 0.4)}" stroke="#222" stroke-width="1.2"/>`);
      p.push(`<ellipse cx="${r1(lx)}" cy="${r1(ly + rr * 1.3)}" rx="${r1(rr)}" ry="${r1(rr * 0.9)}" fill="url(#lantern)"/>`);
      p.push(`<rect x="${r1(lx - rr * 0.45)}" y="${r1(ly + rr * 2.1)}" width="${r1(rr * 0.9)}" height="${r1(rr * 0.25)}" fill="#c9a13b"/>`);
      p.push(`<line x1="${r1(lx)}" y1="${r1(ly + rr * 2.35)}" x2="${r1(lx)}" y2="${r1(ly + rr * 3.1)}" stroke="#d8b64a" stroke-width="${r1(rr * 0.18)}"/>`);
    }
  }
  // The tea house's hanging sign, facing the camera: black lacquer, gold characters.
  p.push(`<line x1="150" y1="190" x2="150" y2="222" stroke="#222" stroke-width="3"/><line x1="226" y1="190" x2="226" y2="222" stroke="#222" stroke-width="3"/>`);
  p.push(`<rect x="128" y="220" width="120" height="420" rx="6" fill="#1c1715" stroke="#8a6a2a" stroke-width="5"/>`);
  [...'老街茶馆'].forEach((ch, i) => p.push(text(188, 300 + i * 94, ch, { family: CJK_SERIF, size: 76, weight: 'bold', anchor: 'middle', fill: '#e0b54f' })));
  // A banner on the right: the general store.
  p.push(`<rect x="930" y="300" width="290" height="86" fill="#8c1d18" stroke="#e3c36a" stroke-width="4"/>`);
  p.push(text(1075, 360, '陈记杂货铺', { family: CJK_SERIF, size: 50, weight: 'bold', anchor: 'middle', fill: '#f6dd8a' }));
  p.push(text(1075, 410, '营业时间 8:00–21:00', { family: CJK_SANS, size: 22, anchor: 'middle', fill: '#f3efe4' }));
  // A blue street-name sign on a post, bilingual like those in Chinese cities.
  p.push(`<rect x="1022" y="470" width="10" height="340" fill="#5b5f66"/>`);
  p.push(`<rect x="904" y="440" width="246" height="96" rx="6" fill="#1d4f9a" stroke="#ffffff" stroke-width="4"/>`);
  p.push(text(1027, 487, '文庙路', { family: CJK_SANS, size: 40, weight: 'bold', anchor: 'middle', fill: '#ffffff', spacing: 6 }));
  p.push(text(1027, 522, 'WENMIAO RD', { family: SANS, size: 22, weight: 'bold', anchor: 'middle', fill: '#ffffff', spacing: 2 }));
  // People walking, smaller with distance.
  for (let i = 0; i < 9; i++) {
    const f = 0.45 + rnd() * 0.42;
    const side = rnd() < 0.5 ? 0.3 : 0.62;
    const [px, py] = toward(W * (side + (rnd() - 0.5) * 0.2), H, f);
    const h = 260 * (1 - f) + 8;
    const c = ['#2b2f3a', '#5a3b3b', '#3c4a3a', '#6b5a48', '#223'][i % 5];
    p.push(`<rect x="${r1(px - h * 0.13)}" y="${r1(py - h * 0.82)}" width="${r1(h * 0.26)}" height="${r1(h * 0.5)}" rx="${r1(h * 0.08)}" fill="${c}"/>`);
    p.push(`<rect x="${r1(px - h * 0.1)}" y="${r1(py - h * 0.36)}" width="${r1(h * 0.08)}" height="${r1(h * 0.36)}" fill="#23252b"/><rect x="${r1(px + h * 0.02)}" y="${r1(py - h * 0.36)}" width="${r1(h * 0.08)}" height="${r1(h * 0.36)}" fill="#23252b"/>`);
    p.push(`<circle cx="${r1(px)}" cy="${r1(py - h * 0.9)}" r="${r1(h * 0.085)}" fill="#d7b08f"/>`);
  }
  // A plane tree in front on the right.
  p.push(`<path d="M1180 853 C 1190 700, 1175 560, 1200 430 L 1230 430 C 1222 560, 1240 700, 1250 853 Z" fill="#5e4b3a"/>`);
  for (let i = 0; i < 24; i++) {
    const cx = 1200 + rnd() * 120;
    const cy = rnd() * 200;
    p.push(`<circle cx="${r1(cx)}" cy="${r1(cy)}" r="${r1(40 + rnd() * 50)}" fill="url(#leaf)" opacity="0.93"/>`);
  }
  // Late-afternoon light from the left.
  p.push(`<rect width="${W}" height="${H}" fill="#ffb36b" opacity="0.07"/>`);
  const { data, info } = await sharp(Buffer.from(svg(W, H, p.join('\n'), defs))).flatten({ background: '#ffffff' }).blur(0.7).raw().toBuffer({ resolveWithObject: true });
  grain(data, info.width, info.height, prng(14), { noise: 5, light: 0 });
  vignette(data, info.width, info.height, 0.35);
  return fromRaw({ data, width: info.width, height: info.height }).jpeg({ quality: 80, mozjpeg: true }).toBuffer();
}

async function invoice() {
  const W = 1020;
  const H = 1442;
  const items = [
    ['Archival scanning, 35 mm negatives (per frame)', '240', '0.45', '108.00'],
    ['Photo restoration, heavy damage', '3', '35.00', '105.00'],
    ['Acid-free storage box, 10 x 8 in', '4', '12.50', '50.00'],
    ['Digital delivery on USB drive, 64 GB', '1', '15.00', '15.00'],
  ];
  const p = [`<rect width="${W}" height="${H}" fill="#fdfdfb"/>`];
  const s = (x, y, str, o = {}) => p.push(text(x, y, str, { family: SANS, size: 19, fill: '#222', ...o }));
  // Letterhead with a simple logo.
  p.push(`<rect x="80" y="70" width="70" height="70" rx="10" fill="#1f5f8b"/>`);
  s(115, 117, 'NP', { size: 30, weight: 'bold', anchor: 'middle', fill: '#fff' });
  s(168, 98, 'Northwind Print & Frame Ltd.', { size: 27, weight: 'bold', fill: '#1f5f8b' });
  s(168, 126, '3 Chandlers Yard, Port Ellis PE2 7QT  \u00b7  accounts@northwind-print.example', { size: 16, fill: '#555' });
  s(W - 80, 210, 'INVOICE', { size: 46, weight: 'bold', anchor: 'end', fill: '#1f5f8b', spacing: 3 });
  const meta = [['Invoice No.', 'INV-2024-0193'], ['Date', '9 February 2024'], ['Due date', '10 March 2024'], ['Customer ref.', 'HVHS/PO-118']];
  meta.forEach(([k, v], i) => {
    s(640, 262 + i * 30, k, { size: 18, fill: '#555' });
    s(W - 80, 262 + i * 30, v, { size: 18, anchor: 'end', weight: 'bold' });
  });
  s(80, 262, 'BILL TO', { size: 15, weight: 'bold', fill: '#1f5f8b', spacing: 2 });
  ['Harbour View Historical Society', 'Attn: Arthur P. Lindqvist', '14 Quay Street', 'Port Ellis PE1 3AB'].forEach((l, i) => s(80, 294 + i * 28, l, { size: 19, weight: i === 0 ? 'bold' : undefined }));
  // Line items.
  const tx = [80, 600, 740, W - 80];
  let y = 440;
  p.push(`<rect x="70" y="${y}" width="${W - 140}" height="44" fill="#1f5f8b"/>`);
  s(tx[0] + 10, y + 29, 'Description', { fill: '#fff', weight: 'bold', size: 18 });
  s(tx[1], y + 29, 'Qty', { fill: '#fff', weight: 'bold', size: 18, anchor: 'end' });
  s(tx[2], y + 29, 'Unit price', { fill: '#fff', weight: 'bold', size: 18, anchor: 'end' });
  s(tx[3] - 10, y + 29, 'Amount', { fill: '#fff', weight: 'bold', size: 18, anchor: 'end' });
  y += 44;
  items.forEach(([d, q, u, a], i) => {
    if (i % 2) p.push(`<rect x="70" y="${y}" width="${W - 140}" height="46" fill="#eef3f7"/>`);
    s(tx[0] + 10, y + 30, d);
    s(tx[1], y + 30, q, { anchor: 'end' });
    s(tx[2], y + 30, `$${u}`, { anchor: 'end' });
    s(tx[3] - 10, y + 30, `$${a}`, { anchor: 'end' });
    y += 46;
  });
  p.push(`<line x1="70" y1="${y}" x2="${W - 70}" y2="${y}" stroke="#1f5f8b" stroke-width="2"/>`);
  const total = (label, value, bold, dy = 38) => {
    y += dy;
    s(tx[2], y, label, { anchor: 'end', weight: bold ? 'bold' : undefined, size: bold ? 22 : 19 });
    s(tx[3] - 10, y, value, { anchor: 'end', weight: bold ? 'bold' : undefined, size: bold ? 22 : 19 });
  };
  total('Subtotal', '$278.00');
  total('Sales tax 8.25%', '$22.94');
  p.push(`<line x1="560" y1="${y + 16}" x2="${W - 70}" y2="${y + 16}" stroke="#999" stroke-width="1"/>`);
  total('Total due (USD)', '$300.94', true, 50);
  y += 90;
  s(80, y, 'Payment terms', { weight: 'bold', size: 18 });
  ['Payment within 30 days by bank transfer to Northwind Print & Frame Ltd.,', 'account 4410 2291 85, sort code 30-92-71. Please quote the invoice number.'].forEach((l, i) => s(80, y + 30 + i * 26, l, { size: 17, fill: '#444' }));
  s(W / 2, H - 90, 'Thank you for your business.', { anchor: 'middle', style: 'italic', size: 19, fill: '#555' });
  s(W / 2, H - 60, 'Northwind Print & Frame Ltd.  \u00b7  Company No. 07 441 902  \u00b7  Tax ID 88-1047736', { anchor: 'middle', size: 14, fill: '#777' });
  // The customer's PAID stamp and a pencilled cheque number.
  p.push(`<g transform="rotate(-14 300 ${y + 150})" opacity="0.72"><rect x="170" y="${y + 95}" width="270" height="110" rx="12" fill="none" stroke="#c0262d" stroke-width="6"/>`);
  p.push(text(305, y + 163, 'PAID', { family: SANS, size: 58, weight: 'bold', anchor: 'middle', fill: '#c0262d', spacing: 8 }));
  p.push(text(305, y + 194, '14 FEB 2024', { family: SANS, size: 20, weight: 'bold', anchor: 'middle', fill: '#c0262d', spacing: 2 }) + '</g>');
  p.push(text(560, y + 170, 'chq 100482 \u2013 APL', { family: SCRIPT, size: 30, fill: '#555a60', transform: `rotate(-3 560 ${y + 170})` }));
  const scanned = await scanPage(svg(W, H, p.join('\n')), {
    seed: 15, angle: -0.35, margin: [10, 14, 18, 12], bed: '#e4e4e1', noise: 5, light: 0.04, dust: 20,
  });
  return fromRaw(scanned).jpeg({ quality: 80, mozjpeg: true }).toBuffer();
}

export const SAMPLES = [
  { file: 'letter-en.jpg', cjk: false, make: letter },
  { file: 'receipt-zh.jpg', cjk: true, make: receipt },
  { file: 'chart-bilingual.png', cjk: true, make: chart },
  { file: 'form-bilingual.jpg', cjk: true, make: form },
  { file: 'street-zh.jpg', cjk: true, make: street },
  { file: 'invoice-en.jpg', cjk: false, make: invoice },
];

/**
 * Whether the fonts sharp sees draw Chinese. "一" is one thin horizontal stroke in every CJK
 * font; a missing glyph is drawn as a box (with the code point in it), which is as tall as a line.
 */
async function canDrawChinese() {
  const probe = svg(200, 200, `<rect width="200" height="200" fill="#fff"/>${text(40, 140, '一', { family: CJK_SANS, size: 120, fill: '#000' })}`);
  try {
    const { info } = await sharp(Buffer.from(probe)).flatten({ background: '#ffffff' }).trim({ background: '#ffffff', threshold: 60 }).toBuffer({ resolveWithObject: true });
    return info.width > 60 && info.height < 40;
  } catch {
    return false; // nothing drawn at all
  }
}

async function writeAtomically(file, data) {
  const temp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

async function main(argv) {
  const usage = 'usage: node examples/make-samples.mjs [OUTDIR]   (default: examples/scans)\n';
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(usage);
    return 0;
  }
  if (argv.length > 1 || argv[0]?.startsWith('-')) {
    process.stderr.write(usage);
    return 2;
  }
  const outDir = path.resolve(argv[0] ?? path.join(HERE, 'scans'));
  await mkdir(outDir, { recursive: true });
  const chinese = await canDrawChinese();
  if (!chinese) {
    process.stderr.write(
      'make-samples: no font with Chinese characters found (`fc-list :lang=zh` lists the ones installed),\n' +
        'so the Chinese samples would come out as boxes: they are skipped, and any already in the folder are left as they were.\n' +
        'Install a CJK font and run again:\n' +
        '  Debian/Ubuntu: apt-get install fonts-noto-cjk\n' +
        '  Fedora:        dnf install google-noto-sans-cjk-fonts google-noto-serif-cjk-fonts\n' +
        '  macOS:         brew install --cask font-noto-sans-cjk-sc font-noto-serif-cjk-sc\n',
    );
  }
  for (const sample of SAMPLES) {
    if (sample.cjk && !chinese) continue;
    const data = await sample.make();
    const file = path.join(outDir, sample.file);
    await writeAtomically(file, data);
    process.stdout.write(`${file}  ${Math.round(data.length / 1024)} KiB\n`);
  }
  return chinese ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`make-samples: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
