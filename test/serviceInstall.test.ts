import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../src/config/index.js';

// docs/operations.md is the install people follow. systemd resolves a unit's environment in its own
// order: every Environment= assignment in turn, then every EnvironmentFile= over them (whatever the
// order of the lines), so a setting the env file holds wins over the unit's own.

const guide = readFileSync('docs/operations.md', 'utf8');
const unit = readFileSync('deploy/systemd/fleetbot.service', 'utf8');
const installBlock = /## Install[^\n]*\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(guide)![1]!;

/** The install's shell lines, continuations joined and comments dropped, split into words as sh does. */
const commands: string[][] = installBlock
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) =>
    [...line.replace(/\s+#.*$/, '').matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)].map((m) =>
      m[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'),
    ),
  )
  .filter((words) => words.length > 0);

/** Assignments of one Environment= value: space-separated NAME=value, each optionally in quotes. */
const assignments = (value: string): [string, string][] =>
  [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => {
    const word = m[1] ?? m[2]!;
    const at = word.indexOf('=');
    return [word.slice(0, at), word.slice(at + 1)];
  });

/** An EnvironmentFile as systemd reads it: NAME=value lines, # and ; comments, blank lines. */
const envFileAssignments = (text: string): [string, string][] =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'))
    .map((line) => {
      const at = line.indexOf('=');
      return [
        line.slice(0, at).trim(),
        line
          .slice(at + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      ];
    });

/** What the documented install copies to the path, read from the repository. */
function installedFile(target: string): string {
  const install = commands.find((words) => words.includes('install') && words.at(-1) === target);
  expect(install, `docs/operations.md installs ${target}`).toBeDefined();
  return readFileSync(install!.at(-2)!, 'utf8');
}

/** The environment a service gets from its properties, in systemd's precedence, and its settings. */
function resolve(
  properties: [string, string][],
  readEnvFile: (path: string) => string = installedFile,
): { env: Record<string, string>; config: Config } {
  const env: Record<string, string> = {};
  for (const [key, value] of properties)
    if (key === 'Environment') for (const [name, v] of assignments(value)) env[name] = v;
  for (const [key, value] of properties)
    if (key === 'EnvironmentFile')
      for (const [name, v] of envFileAssignments(readEnvFile(value))) env[name] = v;
  return { env, config: parseConfig(env) };
}

const unitProperties: [string, string][] = [...unit.matchAll(/^(\w+)=(.*)$/gm)].map((m) => [
  m[1]!,
  m[2]!.trim(),
]);
const unitSetting = (key: string): string | undefined => unitProperties.find(([k]) => k === key)?.[1];

const doctorLine = commands.find((words) => words.includes('systemd-run') && words.at(-1) === 'doctor')!;
const doctorProperties: [string, string][] = doctorLine.flatMap((word, i) => {
  if (doctorLine[i - 1] !== '-p') return [];
  const at = word.indexOf('=');
  return [[word.slice(0, at), word.slice(at + 1)]];
});
const doctorProperty = (key: string): string | undefined => doctorProperties.find(([k]) => k === key)?.[1];

describe('the service install docs/operations.md describes', () => {
  it('gives the unit a data folder in its StateDirectory and no console, with the env file as shipped', () => {
    const { config } = resolve(unitProperties);
    expect(config.dataDir).toBe(`/var/lib/${unitSetting('StateDirectory')}`);
    expect(config.dbPath).toBe(`/var/lib/${unitSetting('StateDirectory')}/fleetbot.db`);
    expect(config.bridges.console).toEqual({ mode: 'off' });
    // What keeps it so: the env file sets nothing until someone uncomments a line.
    expect(envFileAssignments(installedFile('/etc/fleetbot/env'))).toEqual([]);
  });

  it('runs doctor with the settings, user, folders, credentials and program the service will have', () => {
    expect(doctorLine, 'a systemd-run ... doctor line').toBeDefined();
    const service = resolve(unitProperties);
    const doctor = resolve(doctorProperties);
    expect(doctor.env).toEqual(service.env);
    expect(doctor.config.dataDir).toBe(service.config.dataDir);
    expect(doctor.config.dbPath).toBe(service.config.dbPath);
    expect(doctor.config.bridges).toEqual(service.config.bridges);
    for (const key of ['User', 'StateDirectory', 'EnvironmentFile'])
      expect(doctorProperty(key), key).toBe(unitSetting(key));
    expect(doctorProperties.filter(([k]) => k === 'LoadCredential')).toEqual(
      unitProperties.filter(([k]) => k === 'LoadCredential'),
    );
    expect(doctorLine).toContain(`--working-directory=${unitSetting('WorkingDirectory')}`);
    const program = unitSetting('ExecStart')!.split(/\s+/);
    expect(program.at(-1)).toBe('start');
    expect(doctorLine.slice(-program.length)).toEqual([...program.slice(0, -1), 'doctor']);
  });

  it('would catch an env file that sets the data folder or the console: it overrides the unit', () => {
    const { config } = resolve(unitProperties, () => 'FLEETBOT_DATA_DIR=./data\nFLEETBOT_CONSOLE=auto\n');
    expect(config.dataDir).not.toMatch(/^\/var\/lib\//);
    expect(config.bridges.console).toEqual({ mode: 'auto' });
  });
});
