import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRoles } from '../../src/core/fleet/roles.js';
import { roleSections } from '../../src/providers/index.js';
import { chatSections } from '../../src/protocols/index.js';
import {
  renderBuildScript,
  caddySitePath,
  renderCaddyfile,
  renderCaddySite,
  renderUnit,
  renderUserData,
} from '../../src/providers/machine/layout.js';
import { templateText } from '../../src/providers/machine/templates.js';
import { generateHostKey } from '../../src/providers/ssh/hostKey.js';
import { tempDir } from '../support/env.js';
import { daemonLayout } from '../support/machineLayout.js';
import { labUnavailable, runTool, type Ran } from './tools.js';

const skip = labUnavailable(['systemd-analyze', 'cloud-init', 'caddy', 'bash', 'nft']);
const swe = loadRoles('templates/roles', roleSections, chatSections).get('swe')!;
// Valid for every renderer, yet full of what each format treats as syntax.
const hostile = `it's "odd" $HOME %h \`id\` \\ ; {} # $$`;

const tmp = tempDir('fleetbot-lab-');
afterAll(() => tmp.cleanup());
const write = (name: string, text: string): string => {
  const file = path.join(tmp.dir, name);
  writeFileSync(file, text);
  return file;
};
const ok = (r: Ran): void => {
  expect(`${r.code} ${r.stderr}${r.stdout}`.trim()).toMatch(/^0\b/);
};

describe.skipIf(skip)('real validators accept the rendered machine files', () => {
  it('systemd-analyze verify: the agent unit, plain and with hostile values', () => {
    const layout = daemonLayout('alice', swe);
    const plain = write('fleetbot-alice.service', renderUnit(layout, 'swe'));
    ok(runTool('systemd-analyze', ['verify', plain]));
    const odd = write(
      'fleetbot-bob.service',
      renderUnit(
        {
          ...layout,
          name: 'bob',
          daemon: { ...layout.daemon, argv: ['/usr/bin/env', 'node', hostile, '--x=%i'] },
        },
        hostile,
      ),
    );
    ok(runTool('systemd-analyze', ['verify', odd]));
  });

  it('cloud-init schema: user-data with a real key pair and hostile login keys', () => {
    const key = generateHostKey('alice');
    const file = write(
      'user-data',
      renderUserData({
        hostname: 'alice.agents.example.com',
        hostKeyPrivate: key.privateKey,
        hostKeyPublic: key.publicKey,
        loginKeys: [generateHostKey('login').publicKey, hostile],
      }),
    );
    const r = runTool('cloud-init', ['schema', '--config-file', file]);
    ok(r);
    expect(r.stdout).toMatch(/Valid cloud-config/);
  });

  it('caddy validate: the Caddyfile (with and without a lab ACME directory, with no sites yet) and the placeholder', () => {
    const files = [
      write('Caddyfile', renderCaddyfile()),
      write('Caddyfile.lab', renderCaddyfile('https://10.77.0.1:14000/dir?a=%22b%22')),
      write('Caddyfile.placeholder', templateText('Caddyfile.placeholder')),
    ];
    for (const file of files) ok(runTool('caddy', ['validate', '--config', file, '--adapter', 'caddyfile']));
  });

  it('caddy adapt: two agents on one host both keep their site, each with TLS from the lab ACME directory', () => {
    const dir = path.join(tmp.dir, 'etc-caddy');
    mkdirSync(path.join(dir, 'fleetbot.d'), { recursive: true });
    const main = path.join(dir, 'Caddyfile');
    writeFileSync(main, renderCaddyfile('https://10.77.0.1:14000/dir'));
    for (const [name, port] of [
      ['alice', 3100],
      ['bob', 3101],
    ] as const)
      writeFileSync(
        path.join(dir, 'fleetbot.d', path.basename(caddySitePath(name))),
        renderCaddySite(`${name}.agents.example.com`, port),
      );
    const r = runTool('caddy', ['adapt', '--config', main, '--adapter', 'caddyfile']);
    ok(r);
    const json = JSON.stringify(JSON.parse(r.stdout));
    expect(json).toContain('"host":["alice.agents.example.com"]');
    expect(json).toContain('"dial":"127.0.0.1:3100"');
    expect(json).toContain('"host":["bob.agents.example.com"]');
    expect(json).toContain('"dial":"127.0.0.1:3101"');
    expect(json).toContain('"ca":"https://10.77.0.1:14000/dir"');
  });

  it('bash -n: the golden-image build script parses', () => {
    ok(runTool('bash', ['-n', write('build-image.sh', renderBuildScript())]));
    ok(
      runTool('bash', [
        '-n',
        write('build-image-cli.sh', renderBuildScript(['@google/gemini-cli', 'opencode-ai@1.18.33'])),
      ]),
    );
  });
});

describe.skipIf(skip)("fleetbot's own service unit", () => {
  const unit = path.resolve('deploy/systemd/fleetbot.service');

  it('passes systemd-analyze verify', () => {
    ok(runTool('systemd-analyze', ['verify', unit]));
  });

  it('rates 3.0 or better ("OK") in systemd-analyze security', () => {
    const r = runTool('systemd-analyze', ['security', '--offline=yes', unit]);
    const exposure = /Overall exposure level for fleetbot\.service: (\d+\.\d)/.exec(r.stdout);
    expect(exposure, r.stdout.slice(-500)).not.toBeNull();
    expect(Number(exposure![1])).toBeLessThanOrEqual(3.0);
  });
});

if (skip) it(`lab validators skipped: ${skip}`, () => undefined);
