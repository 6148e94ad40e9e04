import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Whether local agents can run in a bubblewrap sandbox: the `bwrap` binary when it starts one, or
 * why not. Inside, an agent sees its own processes only (pid namespace), the system folders
 * read-only, its own folder read-write, and none of fleetbot's data folder, store, .env or other
 * agents; the network stays shared because fleetbot health-checks the agent on loopback.
 */
export type Sandbox = { available: true; bwrap: string } | { available: false; reason: string };

/** The file descriptor bwrap writes the sandbox's init pid to (its --info-fd). */
export const sandboxInfoFd = 3;

/** Folders a program needs to run, bound read-only where they exist (a symlink such as /bin → usr/bin stays one). */
const systemFolders = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/opt'];

/**
 * The parts of /etc a program needs (name lookup, TLS roots, time zone, the loader's cache). Not the
 * rest: /etc holds host keys, /etc/shadow and service credentials, which root-owned sandboxes could read.
 */
const etcEntries = [
  'alternatives',
  'ca-certificates',
  'ca-certificates.conf',
  'gai.conf',
  'group',
  'host.conf',
  'hosts',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'os-release',
  'passwd',
  'protocols',
  'resolv.conf',
  'services',
  'ssl',
  'timezone',
];

/** --ro-bind for a real folder or file, --symlink for a link (so /bin → usr/bin keeps working). */
function readOnly(source: string): string[] {
  let link: boolean;
  try {
    link = lstatSync(source).isSymbolicLink();
  } catch {
    return [];
  }
  return link ? ['--symlink', readlinkSync(source), source] : ['--ro-bind', source, source];
}

/**
 * Folders of the role's own files (absolute paths in its command), read-only, so `node
 * ../agent/server.mjs` finds its script and the modules beside it. Node itself is found in its own
 * folder wherever it is installed.
 */
function codeFolders(command: string[]): string[] {
  const folders = new Set<string>([path.dirname(realpathSync(process.execPath))]);
  for (const arg of command) {
    if (!path.isAbsolute(arg) || !existsSync(arg)) continue;
    folders.add(statSync(arg).isDirectory() ? arg : path.dirname(arg));
  }
  return [...folders];
}

const inside = (folder: string, file: string): boolean => {
  const rel = path.relative(folder, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * The bwrap command line that runs `command` in agent folder `dir`. `hidden` are fleetbot's own
 * files and folders (data folder, store, .env): a code folder that holds one of them, or lies in
 * one (another agent's folder), is refused rather than mounted, so a role pointing at fleetbot's own folder cannot read its secrets.
 * The environment is bwrap's own (the agent's clean one), so no secret is on the command line.
 */
export function sandboxedCommand(
  bwrap: string,
  opts: { dir: string; command: string[]; hidden: string[] },
): string[] {
  const code = codeFolders(opts.command);
  for (const folder of code) {
    const exposed = opts.hidden.find((file) => inside(folder, file) || inside(file, folder));
    if (exposed)
      throw new Error(
        `the role's command names a file in ${folder}, which would show the agent fleetbot's own ${exposed}; put the agent's code in a folder of its own`,
      );
  }
  return [
    bwrap,
    '--info-fd',
    String(sandboxInfoFd),
    ...baseArgs(),
    ...code.flatMap((folder) => ['--ro-bind', folder, folder]),
    '--bind',
    opts.dir,
    opts.dir,
    '--chdir',
    opts.dir,
    '--',
    ...opts.command,
  ];
}

/** Namespaces, read-only system folders, a fresh /proc, /dev and /tmp, and no capabilities. */
function baseArgs(): string[] {
  return [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    // Run as root, bwrap would keep every capability inside; an agent needs none.
    '--cap-drop',
    'ALL',
    ...systemFolders.flatMap(readOnly),
    ...etcEntries.flatMap((entry) => readOnly(path.join('/etc', entry))),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
  ];
}

/**
 * An empty sandbox with every namespace and mount an agent's has: what fleetbot starts once at
 * start to learn whether sandboxes work here (and what the hostile-agent suite starts under the
 * shipped service unit's hardening).
 */
export const probeCommand = (bwrap: string): string[] => [bwrap, ...baseArgs(), '--', 'true'];

/** The first `bwrap` on PATH. */
function findBwrap(searchPath: string): string | undefined {
  return searchPath
    .split(':')
    .filter(Boolean)
    .map((folder) => path.join(folder, 'bwrap'))
    .find((file) => existsSync(file));
}

/**
 * Looks for bwrap and starts one empty sandbox with the same namespaces, so that a kernel or a
 * service manager that forbids user namespaces is found at start, not at the first deploy. An empty
 * sandbox starts in milliseconds; the timeout is for a host under heavy load.
 */
export function probeSandbox(searchPath = '/usr/local/bin:/usr/bin:/bin'): Sandbox {
  const bwrap = findBwrap(searchPath);
  if (!bwrap) return { available: false, reason: 'bwrap is not installed' };
  const [program, ...args] = probeCommand(bwrap);
  const run = spawnSync(program!, args, {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: '/usr/bin:/bin' },
  });
  if (run.status === 0) return { available: true, bwrap };
  const why = run.error?.message ?? (run.stderr.trim().split('\n').at(-1) || `exit code ${run.status}`);
  return { available: false, reason: `${bwrap} cannot start a sandbox here: ${why}` };
}
