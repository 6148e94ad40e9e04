import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './env.js';

type Defer = (fn: () => Promise<void> | void) => void;

/**
 * A roles folder whose swe role, as shipped, also limits its Hetzner servers to cx23 in nbg1 or fsn1;
 * returns the folder and the role file's path. The agent beside it is the shipped one, as role files
 * name it relative to their folder.
 */
export function quotaRoles(defer: Defer): { dir: string; file: string } {
  const tmp = tempDir('fleetbot-roles-');
  defer(tmp.cleanup);
  const dir = path.join(tmp.dir, 'roles');
  mkdirSync(dir);
  symlinkSync(path.resolve('templates/agent'), path.join(tmp.dir, 'agent'));
  const file = path.join(dir, 'swe.yaml');
  const swe = readFileSync('templates/roles/swe.yaml', 'utf8').replace(
    '    location: nbg1\n',
    '    location: nbg1\n    allowedTypes: [cx23]\n    allowedLocations: [nbg1, fsn1]\n',
  );
  writeFileSync(file, swe);
  return { dir, file };
}
