// Spreadsheet formula injection: a cell starting with = + - @ TAB or CR is a formula to Excel.
const FORMULA_START = /^[=+\-@\t\r]/;

/** Cells a spreadsheet would run as a formula get a leading apostrophe. */
export function neutralizeCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Paths keep working for exiftool: a risky relative path gets a harmless "./". */
export function neutralizePath(value: string): string {
  return FORMULA_START.test(value) ? `./${value}` : value;
}

/** Undoes neutralizeCell when reading a catalog back: only an apostrophe it could have added goes. */
export function unneutralizeCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}
