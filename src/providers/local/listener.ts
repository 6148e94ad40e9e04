import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state LISTEN in /proc/net/tcp. */
const listening = '0A';

/**
 * The socket inodes listening on `port` (any address), from the kernel's tables; undefined where
 * there are none to read (not Linux).
 */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let read = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
      read = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== listening) continue;
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  return read ? inodes : undefined;
}

/** The socket inodes a process holds open (none when it is gone or not ours to look into). */
function socketsOf(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? ''];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/**
 * Whose the listener on `port` is: `ours` when one of `pids` holds it, `stranger` when only other
 * processes do, `none` when nothing listens, and `unknown` where the kernel's tables cannot be read.
 * An agent's port is handed out by fleetbot, but after the agent dies any process may bind it; this
 * tells fleetbot's agent from a stranger without asking the agent anything.
 */
export function listenerOwner(port: number, pids: number[]): 'ours' | 'stranger' | 'none' | 'unknown' {
  const inodes = listeningInodes(port);
  if (!inodes) return 'unknown';
  if (inodes.size === 0) return 'none';
  return pids.some((pid) => socketsOf(pid).some((inode) => inodes.has(inode))) ? 'ours' : 'stranger';
}
