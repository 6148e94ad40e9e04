import type { ResolvedSetting, SettingSource } from '../config/settingsReport.js';

const sourceText = (source: SettingSource): string =>
  source.kind === 'environment' || source.kind === 'default' ? source.kind : `${source.kind} ${source.from}`;

const valueText = (s: ResolvedSetting): string =>
  s.secret ? (s.set ? 'set' : 'unset') : (s.value ?? '(unset)');

/**
 * What `fleetbot config` prints: one line per variable, its value and where it came from, in
 * columns; with `--json` one document a program reads. Secrets appear only as set or unset.
 */
export function renderSettings(
  report: { envFile: string | undefined; settings: ResolvedSetting[] },
  json: boolean,
): string {
  if (json)
    return `${JSON.stringify({ envFile: report.envFile ?? null, settings: report.settings }, null, 2)}\n`;
  const rows = report.settings.map((s) => [s.name, valueText(s), sourceText(s.source)] as const);
  const width = (i: 0 | 1) => Math.max(...rows.map((r) => r[i].length));
  const header = report.envFile ? `Settings (env file: ${report.envFile}):` : 'Settings (no env file):';
  return `${[header, ...rows.map(([n, v, s]) => `${n.padEnd(width(0))}  ${v.padEnd(width(1))}  ${s}`)].join('\n')}\n`;
}
