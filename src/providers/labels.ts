/**
 * What fleetbot labels everything it makes with, on any provider that takes labels (Hetzner servers
 * and snapshots, Docker containers, volumes and networks): that fleetbot made it, which fleetbot
 * (src/core/fleet/instance.ts), and for an agent's resources whose agent and role they are.
 */
export const instanceLabel = 'fleetbot-instance';

/** On an image fleetbot built for a role (a Hetzner snapshot, a Docker image): the image's name. */
export const imageLabel = 'fleetbot-image';

export const managedLabels = (instance: string): Record<string, string> => ({
  'managed-by': 'fleetbot',
  [instanceLabel]: instance,
});

export const agentLabels = (instance: string, agent: string, role: string): Record<string, string> => ({
  ...managedLabels(instance),
  agent,
  role,
});

/**
 * Made by this fleetbot: its own instance id, or no id (made before instance ids existed) and named
 * by one of its agent records. Anything else is left alone: a person's, or another fleetbot's.
 */
export function ownsLabelled(
  labels: Readonly<Record<string, string>>,
  instance: string,
  recorded: boolean,
): boolean {
  if (labels['managed-by'] !== 'fleetbot') return false;
  const id = labels[instanceLabel];
  return id === undefined ? recorded : id === instance;
}
