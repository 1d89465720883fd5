// A PDF written from its objects, with a correct cross-reference table: the
// doctor's sample page, and the tests' odd files pdf-lib would not write.

/** Object n is bodies[n - 1]; object 1 is the catalog. */
export function rawPdf(bodies: string[]): Buffer {
  let out = '%PDF-1.4\n';
  const offsets = bodies.map((body, i) => {
    const at = Buffer.byteLength(out, 'latin1');
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${bodies.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${bodies.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
