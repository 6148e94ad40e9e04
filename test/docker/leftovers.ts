import { execFileSync } from 'node:child_process';
import { testDockerSocket } from '../support/docker.js';

/** What carries a label (`key=value`), by kind and name, as the docker CLI lists it (on this host's dockerd unless `socket` names another). */
export const labelledLeftovers = (label: string, socket = testDockerSocket): string[] => {
  const list = (args: string[]) =>
    execFileSync('docker', ['-H', `unix://${socket}`, ...args, '--filter', `label=${label}`], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter(Boolean);
  return [
    ...list(['ps', '-a', '--format', 'container {{.Names}}']),
    ...list(['volume', 'ls', '--format', 'volume {{.Name}}']),
    ...list(['network', 'ls', '--format', 'network {{.Name}}']),
  ];
};

/** Removes what carries a label (`key=value`): a test cleans up only what its own labels mark. */
export function removeLabelled(label: string, socket = testDockerSocket): void {
  for (const line of labelledLeftovers(label, socket)) {
    const [kind, name] = line.split(' ') as [string, string];
    execFileSync(
      'docker',
      ['-H', `unix://${socket}`, ...(kind === 'container' ? ['rm', '-f', name] : [kind, 'rm', name])],
      { encoding: 'utf8' },
    );
  }
}
