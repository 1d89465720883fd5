// Terminal columns of text: Chinese, Japanese and Korean characters (and full-width forms) take two,
// so tables and reports in Chinese line up.
import stringWidth from 'string-width';

/** Columns a string takes in a terminal (string-width: East Asian Width, emoji, ANSI codes left out). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

export function padEndWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

export function padStartWidth(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}
