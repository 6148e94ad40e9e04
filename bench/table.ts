import { met, type Row } from './row.js';

const figure = (value: number, unit: string): string => {
  const digits = Number.isInteger(value) ? 0 : Math.abs(value) < 10 ? 2 : 1;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
};

/** A plain-text table with one line per row: id, what, measured, target, met? */
export function renderTable(rows: Row[]): string {
  const lines = [
    ['id', 'what', 'measured', 'target', 'met?'],
    ...rows.map((r) => [
      r.id,
      r.what,
      figure(r.measured, r.unit),
      `≤ ${figure(r.target, r.unit)}`,
      met(r) ? 'yes' : 'NO',
    ]),
  ];
  const widths = lines[0]!.map((_, col) => Math.max(...lines.map((l) => l[col]!.length)));
  const format = (cells: string[]): string =>
    `| ${cells.map((c, col) => c.padEnd(widths[col]!)).join(' | ')} |`;
  return [
    format(lines[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.slice(1).map(format),
  ].join('\n');
}
