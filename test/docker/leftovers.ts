import { dockerCliAt, testDockerSocket } from '../support/docker.js';

/** What carries a label (`key=value`), by kind and name, as the docker CLI lists it (on the test Engine unless `socket` names another). */
export const labelledLeftovers = (label: string, socket = testDockerSocket): string[] => {
  const list = (args: string[]) =>
    dockerCliAt(socket)(...args, '--filter', `label=${label}`)
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
    dockerCliAt(socket)(...(kind === 'container' ? ['rm', '-f', name] : [kind, 'rm', name]));
  }
}
