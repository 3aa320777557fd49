/**
 * Colour and tables for a person at a terminal, plain text for everything else: no escape codes
 * when stdout is piped or redirected, or when NO_COLOR is set (https://no-color.org).
 */
import { noColorSet } from "./config.ts";

type Paint = (text: string) => string;

export interface Style {
  readonly color: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const code = (open: number, close: number): Paint => (t) => `\u001b[${open}m${t}\u001b[${close}m`;
const plain: Paint = (t) => t;

export function useColor(stream: { isTTY?: boolean } = process.stdout, noColor = noColorSet()): boolean {
  return Boolean(stream.isTTY) && !noColor;
}

export function style(color = useColor()): Style {
  const p = (open: number, close: number) => (color ? code(open, close) : plain);
  return { color, bold: p(1, 22), dim: p(2, 22), red: p(31, 39), green: p(32, 39), yellow: p(33, 39), cyan: p(36, 39) };
}

/** Columns padded to the widest cell; on a terminal the header is bold and underlined by a rule. */
export function table(headers: string[], rows: string[][], s: Style = style()): string[] {
  const width = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(width[i]!))).join("  ").trimEnd();
  if (!s.color) return [line(headers), ...rows.map(line)];
  return [s.bold(line(headers)), s.dim(width.map((w) => "─".repeat(w)).join("  ")), ...rows.map(line)];
}
