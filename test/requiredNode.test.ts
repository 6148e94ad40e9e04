import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeVersionProblem } from '../bin/requiredNode.js';
import { tempDir } from './support/env.js';

const { engines } = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };

describe('the Node.js version fleetbot needs', () => {
  it('is the one undici 7 needs, and Debian 12’s Node 18 or an early Node 20 is told so in one line', () => {
    expect(engines.node).toBe('>=20.18.1');
    expect(nodeVersionProblem('18.19.0', engines.node)).toBe(
      'fleetbot needs Node.js 20.18.1 or newer, and this is Node.js 18.19.0: install a newer one (docs/operations.md says how) and run it again.',
    );
    expect(nodeVersionProblem('20.12.2', engines.node)).toMatch(/this is Node\.js 20\.12\.2/);
    expect(nodeVersionProblem('20.18.0', engines.node)).toMatch(/this is Node\.js 20\.18\.0/);
    for (const fine of ['20.18.1', '20.19.0', '22.0.0', '24.11.1'])
      expect(nodeVersionProblem(fine, engines.node)).toBeUndefined();
  });
});

describe('bin/fleetbot.js', () => {
  const tmp = tempDir('fleetbot-bin-');
  afterAll(() => tmp.cleanup());

  /** The command as a package holds it, beside a package.json and a dist/cli.js that says it was reached. */
  const packageWith = (enginesNode: string): string => {
    const root = path.join(tmp.dir, enginesNode.replace(/\W/g, '_'));
    cpSync('bin', path.join(root, 'bin'), { recursive: true });
    writeFileSync(
      path.join(root, 'package.json'),
      JSON.stringify({ type: 'module', engines: { node: enginesNode } }),
    );
    mkdirSync(path.join(root, 'dist'));
    writeFileSync(path.join(root, 'dist/cli.js'), "process.stdout.write('cli reached\\n');\n");
    return root;
  };
  const run = (root: string) =>
    spawnSync(process.execPath, [path.join(root, 'bin/fleetbot.js')], { encoding: 'utf8', timeout: 30_000 });

  it('goes on to the CLI on this Node.js, which is new enough', () => {
    const ran = run(packageWith(engines.node));
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toBe('cli reached\n');
    expect(ran.status).toBe(0);
  });

  it('stops with exit 2 and one line, before loading anything, on a Node.js older than it needs', () => {
    const ran = run(packageWith('>=99.0.0'));
    expect(ran.stderr).toBe(
      `fleetbot needs Node.js 99.0.0 or newer, and this is Node.js ${process.versions.node}: install a newer one (docs/operations.md says how) and run it again.\n`,
    );
    expect(ran.stdout).toBe('');
    expect(ran.status).toBe(2);
  });
});
