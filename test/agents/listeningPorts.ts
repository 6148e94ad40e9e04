import { readFile, readdir, readlink } from 'node:fs/promises';

/**
 * The TCP ports a process listens on, read from /proc: its socket inodes matched against the kernel's
 * socket tables. Linux only; a process that has exited has none.
 */
export async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined) inodes.add(inode);
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, , state] = fields;
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (state !== '0A' || local === undefined || !inodes.has(fields[9] ?? '')) continue;
      ports.add(Number.parseInt(local.split(':').at(-1) ?? '', 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}
