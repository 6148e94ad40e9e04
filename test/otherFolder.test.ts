import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliStatuses } from '../src/cli/outcome.js';
import { parseConfig } from '../src/config/index.js';
import { tempDir } from './support/env.js';

const repo = process.cwd();
const tmp = tempDir('fleetbot-elsewhere-');
afterAll(() => tmp.cleanup());

/** `fleetbot <args>` started from a folder that holds nothing of fleetbot's, as an operator's shell may be. */
const fleetbotIn = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(
    process.execPath,
    ['--import', path.join(repo, 'node_modules/tsx/dist/loader.mjs'), path.join(repo, 'src/cli.ts'), ...args],
    {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
      env: {
        PATH: process.env.PATH,
        FLEETBOT_DATA_DIR: path.join(tmp.dir, 'data'),
        LOG_LEVEL: 'silent',
        ...env,
      },
    },
  );

// Each test starts fleetbot as a process or two, each capped at 30 s: on a loaded machine they outlast
// the default 20 s.
describe('fleetbot run from another folder', { timeout: 90_000 }, () => {
  const empty = path.join(tmp.dir, 'empty');
  mkdirSync(empty);

  it('finds the roles it was installed with, whatever the current folder', () => {
    const listed = fleetbotIn(empty, ['list']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(/no agents/i);
    expect(listed.status).toBe(0);
    expect(fleetbotIn(empty, ['roles']).stdout).toMatch(/\bswe\b/);
    expect(parseConfig({}).rolesDir).toBe(path.join(repo, 'templates', 'roles'));
  });

  it('reads a relative FLEETBOT_ROLES_DIR from the folder it starts in', () => {
    const own = path.join(tmp.dir, 'own');
    mkdirSync(path.join(own, 'my-roles'), { recursive: true });
    writeFileSync(
      path.join(own, 'my-roles', 'tester.yaml'),
      readFileSync('templates/roles/swe.yaml', 'utf8').replace(/^name: swe$/m, 'name: tester'),
    );
    const roles = fleetbotIn(own, ['roles'], { FLEETBOT_ROLES_DIR: 'my-roles' });
    expect(roles.stdout).toMatch(/\btester\b/);
    expect(roles.stdout).not.toMatch(/\bswe\b/);
    expect(roles.status).toBe(0);
  });

  it('says in one line what is wrong with a missing roles folder, with no stack trace, and exits as a settings problem', () => {
    const missing = fleetbotIn(empty, ['list'], { FLEETBOT_ROLES_DIR: 'no-such-roles' });
    expect(missing.stderr).toBe(
      `fleetbot: FLEETBOT_ROLES_DIR: cannot read ${path.join(empty, 'no-such-roles')}; point it at a folder of role files, or unset it for the roles fleetbot comes with\n`,
    );
    expect(missing.status).toBe(cliStatuses.misconfigured.exit);
    expect(missing.status).toBe(2);

    const json = fleetbotIn(empty, ['list', '--json'], { FLEETBOT_ROLES_DIR: 'no-such-roles' });
    expect(JSON.parse(json.stdout)).toEqual({
      status: 'misconfigured',
      record: null,
      problem: { kind: 'invalid', detail: missing.stderr.slice('fleetbot: '.length, -1) },
    });
    expect(json.stderr).toBe('');
    expect(json.status).toBe(2);
  });

  it('names the broken role file in one line instead of a YAML parser stack', () => {
    const broken = path.join(tmp.dir, 'broken');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'bad.yaml'), 'name: [unclosed\n');
    const run = fleetbotIn(empty, ['list'], { FLEETBOT_ROLES_DIR: broken });
    expect(run.stderr).toMatch(
      new RegExp(`^fleetbot: role file ${path.join(broken, 'bad.yaml')}: .+ at line 2, column 1\\n$`),
    );
    expect(run.status).toBe(2);
  });
});
