import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { placeholderPath, renderBuildScript } from '../../src/providers/machine/layout.js';
import { templateText } from '../../src/providers/machine/templates.js';

export type LabImage = { dir: string; disk: string; kernel: string; initrd: string };

const buildScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build-lab-image.sh');
export const cacheRoot = path.join(os.homedir(), '.cache', 'fleetbot-lab');

/** Every input that changes the image; the cache key is their hash, so an unchanged machine builds once. */
function inputs(): Record<string, string> {
  return {
    'build-lab-image.sh': readFileSync(buildScript, 'utf8'),
    'build-image.sh': renderBuildScript(),
    'Caddyfile.placeholder': templateText('Caddyfile.placeholder'),
    placeholderPath,
  };
}

const imageOf = (dir: string): LabImage => ({
  dir,
  disk: path.join(dir, 'base.qcow2'),
  kernel: path.join(dir, 'vmlinuz'),
  initrd: path.join(dir, 'initrd.img'),
});

/** The lab's golden image, built from Debian packages by build-lab-image.sh unless already cached. */
export async function ensureLabImage(log: (line: string) => void = () => {}): Promise<LabImage> {
  const files = inputs();
  const hash = createHash('sha256');
  for (const [name, text] of Object.entries(files)) hash.update(`${name}\0${text}\0`);
  const dir = path.join(cacheRoot, hash.digest('hex').slice(0, 16));
  if (existsSync(path.join(dir, 'base.qcow2'))) return imageOf(dir);

  mkdirSync(cacheRoot, { recursive: true });
  const scratch = mkdtempSync(path.join(cacheRoot, 'build-'));
  try {
    const script = path.join(scratch, 'build-image.sh');
    const placeholder = path.join(scratch, 'Caddyfile.placeholder');
    writeFileSync(script, files['build-image.sh']!);
    writeFileSync(placeholder, files['Caddyfile.placeholder']!);
    const out = path.join(scratch, 'image');
    await runLogged('bash', [buildScript, out, script, placeholder, placeholderPath], log);
    // The rename makes a half-built image impossible to mistake for a cached one.
    renameSync(out, dir);
    return imageOf(dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function runLogged(cmd: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        log(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${path.basename(args[0] ?? cmd)} failed (exit ${code}):\n${tail.join('\n')}`)),
    );
  });
}
