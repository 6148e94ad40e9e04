import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConsoleOutput } from '../support/consoleSession.js';
import { dockerCli, dockerUnavailable, testEngine, testNodeImage } from '../support/docker.js';
import { tempDir } from '../support/env.js';

// fleetbot as a person installs it: the tarball `npm pack` makes, installed into an empty folder, and
// the image the Dockerfile builds from that same package. Nothing here reaches a registry.

const repo = process.cwd();
const { version, dependencies } = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};
const tmp = tempDir('fleetbot-package-');
const app = path.join(tmp.dir, 'app');
const installed = path.join(app, 'node_modules', 'fleetbot');
let tarball = '';

/**
 * The folder a person installs into, with a lock file made of the repo's (its production entries):
 * `npm install --offline` then takes every dependency from the npm cache `npm ci` filled, which holds
 * the locked tarballs but not the registry's package lists that resolving without a lock needs.
 */
function installFolder(file: string): void {
  type Lock = { packages: Record<string, { dev?: boolean }> };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;
  const spec = `file:${file}`;
  const packages: Record<string, unknown> = {
    '': { dependencies: { fleetbot: spec } },
    'node_modules/fleetbot': {
      version,
      resolved: spec,
      dependencies,
      bin: { fleetbot: 'bin/fleetbot.js' },
    },
  };
  for (const [at, entry] of Object.entries(lock.packages))
    if (at.startsWith('node_modules/') && !entry.dev) packages[at] = entry;
  mkdirSync(app, { recursive: true });
  writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ private: true, dependencies: { fleetbot: spec } }),
  );
  writeFileSync(
    path.join(app, 'package-lock.json'),
    JSON.stringify({ lockfileVersion: 3, requires: true, packages }),
  );
}

beforeAll(() => {
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp.dir], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  tarball = path.join(tmp.dir, packed.trim().split('\n').at(-1)!);
  installFolder(tarball);
  execFileSync('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: app,
    encoding: 'utf8',
    timeout: 180_000,
  });
  // Install scripts are skipped: offline, better-sqlite3's would compile SQLite (minutes) where a
  // person online downloads a prebuilt addon. The addon `npm ci` built here for this Node stands in.
  const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
  mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
  copyFileSync(path.join(repo, addon), path.join(app, addon));
}, 360_000);
afterAll(() => tmp.cleanup());

/** `npx fleetbot …` in the install folder, with the data folder in it and the package's own roles. */
const npxFleetbot = (args: string[], input = '') =>
  spawnSync('npx', ['--offline', 'fleetbot', ...args], {
    cwd: app,
    input,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FLEETBOT_DATA_DIR: path.join(app, 'data'),
      LOG_LEVEL: 'info',
    },
  });

describe('the npm package', () => {
  it('holds the compiled CLI, the templates and the docs, and no test or source file', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/bin/fleetbot.js',
        'package/dist/cli.js',
        'package/templates/roles/swe.yaml',
        'package/templates/machine/agent.service',
        'package/deploy/systemd/fleetbot.service',
        'package/docs/operations.md',
        'package/.env.example',
        'package/README.md',
      ]),
    );
    expect(files.filter((f) => /^package\/(test|src|bench)\/|\.test\.[jt]s$/.test(f))).toEqual([]);
  });

  it('runs from an empty folder it was installed into: --version, doctor and a console deploy', () => {
    const versionRun = npxFleetbot(['--version']);
    expect(versionRun.stdout).toBe(`fleetbot ${version}\n`);
    expect(versionRun.status).toBe(0);

    const doctor = npxFleetbot(['doctor']);
    expect(doctor.stdout).toContain(`✓ store: ${path.join(app, 'data', 'fleetbot.db')} is writable`);
    expect(doctor.stdout).toMatch(/^✓ roles: \d+ roles: .*\bswe\b/m);
    expect(doctor.status).toBe(0);

    const deploy = npxFleetbot(['start'], '/deploy swe alice\n');
    expect(deploy.status).toBe(0);
    const card = parseConsoleOutput(deploy.stdout).find((m) => m.versions[0]!.includes('Deploy alice'))!;
    expect(card.versions.at(-1)).toMatch(/^✅ Done: Deploy alice \(swe, local\)/);

    const destroy = npxFleetbot(['start'], '/destroy alice\n1\n');
    const texts = parseConsoleOutput(destroy.stdout).map((m) => m.versions.at(-1)!);
    expect(texts.some((t) => /^✅ Done: Destroy alice/.test(t))).toBe(true);
  }, 300_000);
});

describe.skipIf(dockerUnavailable())('the container image', () => {
  const name = `fleetbot-image-test-${process.pid}`;
  const image = `${name}:${version}`;
  afterAll(() => {
    spawnSync('docker', ['rm', '-f', name]);
    spawnSync('docker', ['volume', 'rm', name]);
    spawnSync('docker', ['rmi', image]);
  });

  it('builds from the package, runs as a non-root user, keeps its store in /data and answers /healthz outside', async () => {
    // The context a machine without a registry builds from: the unpacked package with its installed
    // dependencies, which the Dockerfile's build stage then uses instead of running npm ci.
    const context = path.join(tmp.dir, 'image');
    cpSync(installed, context, { recursive: true });
    cpSync(path.join(app, 'node_modules'), path.join(context, 'node_modules'), { recursive: true });
    rmSync(path.join(context, 'node_modules', 'fleetbot'), { recursive: true });
    rmSync(path.join(context, 'node_modules', '.bin'), { recursive: true });
    const base = await testNodeImage(testEngine().engine);
    dockerCli(
      'build',
      '-q',
      '-f',
      path.join(repo, 'Dockerfile'),
      '--build-arg',
      `BASE=${base}`,
      '-t',
      image,
      context,
    );

    // The image's own HEALTHCHECK, run every second instead of every 30 s.
    dockerCli(
      'run',
      '-d',
      '--name',
      name,
      '-p',
      '127.0.0.1::8080',
      '-v',
      `${name}:/data`,
      '--health-interval',
      '1s',
      image,
    );
    const published = dockerCli('port', name, '8080/tcp').trim().split('\n')[0]!;
    let health: { status: number; body: unknown } | undefined;
    let state = '';
    for (let i = 0; i < 60 && !(health?.status === 200 && state === 'healthy'); i++) {
      await sleep(500);
      health = await fetch(`http://${published}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
        async (r) => ({ status: r.status, body: await r.json() }),
        () => undefined,
      );
      state = dockerCli('inspect', '-f', '{{.State.Health.Status}}', name).trim();
    }
    expect(health?.status).toBe(200);
    expect(health?.body).toMatchObject({ ok: true, problems: [] });
    expect(state).toBe('healthy');
    // fleetbot logs to stderr; the Engine keeps it beside stdout.
    expect(spawnSync('docker', ['logs', name], { encoding: 'utf8' }).stderr).toContain(
      '"msg":"fleetbot is ready"',
    );

    expect(dockerCli('exec', name, 'node', '-e', 'process.stdout.write(String(process.getuid()))')).toBe(
      '1000',
    );
    const volume = dockerCli('volume', 'inspect', '-f', '{{.Mountpoint}}', name).trim();
    expect(existsSync(path.join(volume, 'fleetbot.db'))).toBe(true);
  }, 300_000);
});
