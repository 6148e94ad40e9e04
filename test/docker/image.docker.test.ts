import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildImage } from '../../src/providers/docker/imageBuild.js';
import { localReach } from '../../src/providers/docker/reach.js';
import { tarball } from '../../src/providers/docker/tarball.js';
import { useCleanups } from '../support/cleanups.js';
import { startConsoleBot } from '../support/consoleSession.js';
import { tempDir } from '../support/env.js';
import {
  dockerCli,
  dockerUnavailable,
  testDockerProvider,
  testEngine,
  testNodeImage,
  type TestEngine,
} from '../support/docker.js';
import { removeLabelled } from './leftovers.js';

// `/image build <role> --provider docker` through a whole bot on the console against the real dockerd:
// the Engine's POST /build from fleetbot's Dockerfile template, the image listed, deploys of the role
// running the newest build, and builds that fail saying the Engine's words and what to do.

const skip = dockerUnavailable();
const instance = 'dk-img';

/** Image names carrying a label, tagged or not, as the docker CLI lists them. */
const imagesLabelled = (label: string): string[] =>
  dockerCli('images', '--filter', `label=${label}`, '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter(Boolean)
    .sort();

const removeImages = (label: string): void => {
  const ids = dockerCli('images', '-q', '--filter', `label=${label}`).split('\n').filter(Boolean);
  if (ids.length > 0) dockerCli('rmi', '-f', ...new Set(ids));
};

const imageInspect = z.array(
  z.object({
    Id: z.string(),
    Config: z.object({
      User: z.string(),
      WorkingDir: z.string(),
      Labels: z.record(z.string(), z.string()),
    }),
  }),
);

/** Containers, running or not, whose command holds `text`: a build's step container while it lives. */
const containersRunning = (text: string): string[] =>
  dockerCli('ps', '-a', '--no-trunc', '--format', '{{.Command}}')
    .split('\n')
    .filter((c) => c.includes(text));

/** A roles folder beside the shipped reference agent, with the roles these tests build. */
function roles(base: string, defer: (fn: () => void) => void): string {
  const tmp = tempDir('fleetbot-image-roles-');
  defer(tmp.cleanup);
  const dir = path.join(tmp.dir, 'roles');
  mkdirSync(dir);
  symlinkSync(path.resolve('templates/agent'), path.join(tmp.dir, 'agent'));
  const swe = readFileSync('templates/roles/swe.yaml', 'utf8').replace(/^providers:\n[\s\S]*$/m, '');
  const role = (name: string, docker: string, text = swe) =>
    writeFileSync(
      path.join(dir, `${name}.yaml`),
      `${text.replace(/^name: swe$/m, `name: ${name}`)}providers:\n  docker:\n${docker}`,
    );
  role('dkimg', `    base: ${base}\n`);
  role('dkgone', '    base: fleetbot-test-absent:1\n');
  // Its daemon runs a program the base image does not have: the build's check of the role's programs fails.
  role(
    'dkpy',
    `    base: ${base}\n`,
    swe.replace('command: [node, ../agent/server.mjs]', 'command: [python3, ../agent/server.mjs]'),
  );
  return dir;
}

describe.skipIf(skip)('docker images built by fleetbot through a whole bot', () => {
  const defer = useCleanups();
  let t: TestEngine;
  let base: string;
  const reach = localReach();

  beforeAll(async () => {
    t = testEngine();
    base = await testNodeImage(t.engine);
  });
  afterAll(async () => {
    removeLabelled(`fleetbot-instance=${instance}`);
    removeImages(`fleetbot-instance=${instance}`);
    expect(t.spec.violations).toEqual([]);
    expect(t.spec.checked).toBeGreaterThan(0);
    await reach.close();
    await t.engine.close();
  });

  const start = async () => {
    const tmp = tempDir();
    defer(tmp.cleanup);
    const rolesDir = roles(base, defer);
    const s = await startConsoleBot(
      tmp.dir,
      { FLEETBOT_INSTANCE: instance, FLEETBOT_ROLES_DIR: rolesDir },
      {
        providers: [testDockerProvider({ engine: t.engine, image: undefined, instance, reach })],
      },
    );
    defer(() => s.stop());
    // Last registered, first run: the agents' containers go before the images they run.
    defer(() => removeImages(`fleetbot-instance=${instance}`));
    defer(() => removeLabelled(`fleetbot-instance=${instance}`));
    return s;
  };

  it('builds v1 and v2 of a role, lists them, and deploys run the newest', async () => {
    const s = await start();

    // Nothing built yet, and no FLEETBOT_DOCKER_IMAGE: the deploy says how to get an image.
    await s.type('/deploy dkimg dkimga --provider docker');
    expect(s.lastText()).toContain(
      'Role dkimg has no image on the Docker socket /var/run/docker.sock: run /image build dkimg --provider docker',
    );

    await s.type('/image build dkimg --provider docker');
    const first = s.find(/Build image for dkimg/)!.versions.at(-1)!;
    expect(first).toMatch(/^✅ Done: Build image for dkimg \(docker\)/);
    expect(first).toContain(`✅ Build fleetbot-dkimg from ${base} on the Docker socket`);
    expect(first).toContain('New deploys of dkimg on docker use this image.');
    expect(imagesLabelled(`fleetbot-instance=${instance}`)).toEqual(['fleetbot-dkimg:v1']);

    // What the Engine holds: fleetbot's labels, the agent's uid, its workspace and the role's files.
    const [v1] = imageInspect.parse(JSON.parse(dockerCli('image', 'inspect', 'fleetbot-dkimg:v1')));
    expect(v1!.Config).toMatchObject({
      User: '10001:10001',
      WorkingDir: '/workspace',
      Labels: {
        'managed-by': 'fleetbot',
        'fleetbot-instance': instance,
        'fleetbot-image': 'fleetbot-dkimg',
        role: 'dkimg',
        version: '1',
        'fleetbot-base': base,
      },
    });
    expect(
      dockerCli(
        'run',
        '--rm',
        'fleetbot-dkimg:v1',
        'node',
        '-e',
        'const fs=require("fs");for(const p of ["/workspace","/opt/fleetbot/role/server.mjs","/opt/fleetbot/role/acp.mjs"]){const s=fs.statSync(p);console.log(p,s.uid,(s.mode&0o777).toString(8))}console.log(process.getuid())',
      ).trim(),
    ).toBe(
      [
        '/workspace 10001 700',
        '/opt/fleetbot/role/server.mjs 0 444',
        '/opt/fleetbot/role/acp.mjs 0 444',
        '10001',
      ].join('\n'),
    );

    await s.type('/image list --provider docker');
    expect(s.lastText()).toMatch(/Golden images \(1\)\nfleetbot-dkimg:v1 dkimg v1 · available · .* from /);

    await s.type('/deploy dkimg dkimga --provider docker');
    const deployA = s.find(/Deploy dkimga/)!.versions.at(-1)!;
    expect(deployA).toMatch(/^✅ Done: Deploy dkimga \(dkimg, docker\)/);
    expect(deployA).toContain('✅ Choose the image: the newest build of dkimg, else the default');
    expect(dockerCli('inspect', '--format', '{{.Image}} {{.Config.Image}}', 'fleetbot-dkimga').trim()).toBe(
      `${v1!.Id} fleetbot-dkimg:v1`,
    );
    expect(s.bot.store.agents.live('dkimga')!.resources['image']).toBe('fleetbot-dkimg:v1');

    await s.type('/image build dkimg --provider docker');
    expect(s.find(/Build image for dkimg/)!.versions.at(-1)).toMatch(/^✅ Done: /);
    const [v2] = imageInspect.parse(JSON.parse(dockerCli('image', 'inspect', 'fleetbot-dkimg:v2')));
    expect(v2!.Config.Labels['version']).toBe('2');
    await s.type('/image list --provider docker');
    expect(s.lastText()).toMatch(
      /Golden images \(2\)\nfleetbot-dkimg:v2 dkimg v2 · .*\nfleetbot-dkimg:v1 dkimg v1 /,
    );

    await s.type('/deploy dkimg dkimgb --provider docker');
    expect(s.find(/Deploy dkimgb/)!.versions.at(-1)).toMatch(/^✅ Done: /);
    expect(dockerCli('inspect', '--format', '{{.Image}} {{.Config.Image}}', 'fleetbot-dkimgb').trim()).toBe(
      `${v2!.Id} fleetbot-dkimg:v2`,
    );
    // The agent deployed earlier keeps the image it was made from.
    expect(dockerCli('inspect', '--format', '{{.Config.Image}}', 'fleetbot-dkimga').trim()).toBe(
      'fleetbot-dkimg:v1',
    );
    await s.type('/status dkimgb');
    expect(s.lastText()).toMatch(/✅ healthy: /);
  }, 180_000);

  it('a build from a base the Engine cannot get fails with its words and what to do, tagging nothing', async () => {
    const s = await start();
    await s.type('/image build dkgone --provider docker');
    const card = s.find(/Build image for dkgone/)!.versions.at(-1)!;
    expect(card).toMatch(/^❌ Failed, rolled back: Build image for dkgone \(docker\)/);
    expect(card).toContain('The build of fleetbot-dkgone:v1 stopped at "Step 1/');
    expect(card).toContain('FROM fleetbot-test-absent:1');
    // The Engine's own words: it tried to pull the base, and no registry answers here.
    expect(card).toMatch(/registry-1\.docker\.io|pull access denied|not found/);
    expect(card).toContain(
      '. The Docker socket /var/run/docker.sock has no image fleetbot-test-absent:1 and could not pull it',
    );
    expect(card).toContain('Fix the cause and run /image build dkgone --provider docker again.');
    expect(imagesLabelled('role=dkgone')).toEqual([]);
    expect(dockerCli('images', '-q', 'fleetbot-dkgone').trim()).toBe('');
  });

  it('a failing RUN says what the step printed, leaves no tagged image and no build container', async () => {
    const s = await start();
    await s.type('/image build dkpy --provider docker');
    const card = s.find(/Build image for dkpy/)!.versions.at(-1)!;
    expect(card).toMatch(/^❌ Failed, rolled back: /);
    expect(card).toMatch(/stopped at "Step \d+\/\d+ : RUN for program in 'python3' 'node'; do command -v/);
    expect(card).toContain(': The command returned a non-zero code: 1. Its last output:');
    expect(card).toContain(
      "Its last output: python3 is not in this image, and the role's commands run it: build from a base image that has it",
    );
    expect(card).toContain(
      "Fix the base image (providers.docker.base or FLEETBOT_DOCKER_IMAGE) or the role's install.npm",
    );
    expect(dockerCli('images', '-q', 'fleetbot-dkpy').trim()).toBe('');
    // forcerm: the failed step's container went with it.
    expect(containersRunning('for program in')).toEqual([]);
  });

  it('a failing step’s words reach the error cleaned and capped, however the step prints them', async () => {
    // An OSC title sequence, a line far too long, a bidi override, then a failure. All on stdout, each
    // write after the one before has gone: the Engine interleaves a step's stdout and stderr freely.
    const script = `process.stdout.write('\\x1b]0;evil\\x07' + 'x'.repeat(100000), () => process.stdout.write('\\n\\u202eboom\\n', () => process.exit(3)))`;
    const dockerfile = `FROM ${base}\nRUN node -e "${script}"\n`;
    const context = tarball([
      { name: 'Dockerfile', mode: 0o644, uid: 0, gid: 0, content: Buffer.from(dockerfile) },
    ]);
    const failure = await buildImage(t.engine, {
      context,
      tag: 'fleetbot-dkwords:v1',
      labels: { 'managed-by': 'fleetbot', 'fleetbot-instance': instance },
      timeoutMs: 120_000,
      signal: new AbortController().signal,
      advice: (instruction) => `Fix the ${instruction ?? '?'} line.`,
    }).then(
      () => '',
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/^The build of fleetbot-dkwords:v1 stopped at "Step 2\/\d+ : RUN node -e/);
    expect(failure).toContain('The command returned a non-zero code: 3.');
    expect(failure).toMatch(/Its last output: x+…( \| x+…)* \| boom\. Fix the RUN line\.$/);
    expect(failure.split('Its last output: ')[1]).not.toContain('evil');
    // eslint-disable-next-line no-control-regex
    expect(failure).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(failure.length).toBeLessThan(2_000);
    expect(dockerCli('images', '-q', 'fleetbot-dkwords').trim()).toBe('');
  });

  it('a cancelled build ends the Engine’s build and tags nothing', async () => {
    const dockerfile = `FROM ${base}\nRUN node -e "console.log('started'); setTimeout(() => {}, 60000)"\n`;
    const context = tarball([
      { name: 'Dockerfile', mode: 0o644, uid: 0, gid: 0, content: Buffer.from(dockerfile) },
    ]);
    const cancel = new AbortController();
    const started = Date.now();
    const build = buildImage(t.engine, {
      context,
      tag: 'fleetbot-dkcancel:v1',
      labels: { 'managed-by': 'fleetbot', 'fleetbot-instance': instance },
      timeoutMs: 120_000,
      signal: cancel.signal,
      advice: () => 'unused',
    });
    // Cancelled while its RUN runs: the step's container exists.
    for (let i = 0; i < 150 && containersRunning('60000').length === 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(containersRunning('60000')).toHaveLength(1);
    cancel.abort(new Error('cancelled by the test'));
    await expect(build).rejects.toThrow('cancelled by the test');
    expect(Date.now() - started).toBeLessThan(30_000);
    for (let i = 0; i < 50 && containersRunning('60000').length > 0; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect(containersRunning('60000')).toEqual([]);
    expect(dockerCli('images', '-q', 'fleetbot-dkcancel').trim()).toBe('');
  });
});
