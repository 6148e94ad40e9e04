import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/core/runtime/clock.js';
import { openStore } from '../src/core/store/index.js';
import { runningAgent } from './support/agents.js';
import { useCleanups } from './support/cleanups.js';
import { tempDir } from './support/env.js';

describe('shell completion', () => {
  const defer = useCleanups();

  /** A `fleetbot` on PATH that runs this checkout, and a data folder whose store holds two agents. */
  function installed() {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const bin = path.join(tmp.dir, 'bin');
    const data = path.join(tmp.dir, 'data');
    spawnSync('mkdir', ['-p', bin, data]);
    const cli = path.resolve('src/cli.ts');
    writeFileSync(
      path.join(bin, 'fleetbot'),
      `#!/bin/sh\nexec "${process.execPath}" --import tsx "${cli}" "$@"\n`,
    );
    chmodSync(path.join(bin, 'fleetbot'), 0o755);
    const store = openStore(path.join(data, 'fleetbot.db'), systemClock);
    runningAgent(store, 'alice', 'console:local');
    runningAgent(store, 'albert', 'console:local');
    const gone = runningAgent(store, 'alfred', 'console:local');
    store.agents.update(gone.id, { status: 'destroyed' });
    store.close();
    const env = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: tmp.dir,
      FLEETBOT_DATA_DIR: data,
      FLEETBOT_ROLES_DIR: path.resolve('templates/roles'),
    };
    /**
     * What bash offers for each line typed so far, through the script `fleetbot completion bash`
     * prints; one shell for all lines, as each completion starts the CLI once.
     */
    const offered = (lines: string[]): string[][] => {
      const asked = lines.map((line) => {
        const words = line.split(' ');
        return `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_fleetbot; echo "\${COMPREPLY[*]}"`;
      });
      const script = `source <(fleetbot completion bash)\n${asked.join('\n')}`;
      const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', env, timeout: 240_000 });
      expect(run.stderr).toBe('');
      return run.stdout
        .split('\n')
        .slice(0, lines.length)
        .map((l) => l.split(/\s+/).filter(Boolean));
    };
    return { offered, env };
  }

  it(
    'completes commands, flags, their values, roles and live agent names in bash',
    { timeout: 300_000 },
    () => {
      const { offered } = installed();
      const cases: [string, string[]][] = [
        ['fleetbot de', ['deploy', 'destroy']],
        ['fleetbot completion ', ['bash', 'zsh', 'fish']],
        ['fleetbot deploy s', ['swe']],
        // The second word of /deploy is a new name: nothing to offer.
        ['fleetbot deploy swe ', []],
        ['fleetbot destroy al', ['albert', 'alice']],
        ['fleetbot logs alice -n 5 -', ['-n', '--json', '--yes']],
        ['fleetbot list --status lo', ['lost']],
        ['fleetbot list --provider l', ['local']],
      ];
      expect(offered(cases.map(([line]) => line))).toEqual(cases.map(([, want]) => want));
    },
  );

  it(
    'prints a script for zsh and fish, and says which shells there are otherwise',
    { timeout: 120_000 },
    () => {
      const { env } = installed();
      const run = (shell: string) =>
        spawnSync('fleetbot', ['completion', shell], { encoding: 'utf8', env, timeout: 60_000 });
      expect(run('zsh').stdout).toMatch(/^#compdef fleetbot\n[\s\S]*compdef _fleetbot fleetbot\n$/);
      expect(run('fish').stdout).toContain("complete -c fleetbot -f -a '(fleetbot __complete");
      const wrong = run('tcsh');
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toBe('fleetbot: say which shell: fleetbot completion bash, zsh or fish\n');
    },
  );
});
