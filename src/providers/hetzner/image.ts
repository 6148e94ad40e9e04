import { z } from 'zod';
import type { Plan } from '../../core/jobs/plan.js';
import type { ImageBuilder, ImageInfo } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import { reachSteps, run, withMachine } from '../machine/install.js';
import { placeholderPath, renderBuildScript } from '../machine/layout.js';
import { remote } from '../machine/remote.js';
import { templateText } from '../machine/templates.js';
import type { HetznerClient } from './client.js';
import type { Image } from './schemas.js';
import { deleteServer, serverSteps, type ServerDeps } from './serverSteps.js';
import { hetznerSection } from './roleSettings.js';
import { imageLabel } from '../labels.js';

/** The snapshot name a role boots from: its providers.hetzner.snapshot, or fleetbot-<role>. */
export const snapshotName = (role: Role): string => hetznerSection(role)?.snapshot ?? `fleetbot-${role.name}`;

/** The newest available snapshot carrying the role's image label. */
export async function newestSnapshot(
  hetzner: HetznerClient,
  name: string,
  signal?: AbortSignal,
): Promise<Image | undefined> {
  const images = await hetzner.listImages(
    { labelSelector: `managed-by=fleetbot,${imageLabel}=${name}`, type: 'snapshot' },
    signal,
  );
  return images
    .filter((i) => i.status === 'available')
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))[0];
}

const baseImage = 'ubuntu-24.04';
const buildOutput = z.object({ serverId: z.number().int() });

/**
 * Golden images: a build server on the smallest type runs the build script, syncs and powers off; the
 * snapshot is labelled for the role; the build server is deleted whether the build worked or not.
 */
export function imageBuilder(
  deps: ServerDeps & {
    catalogue: { smallest(location: string): Promise<string> };
    /** This fleetbot's labels (managed-by, instance id), put on build servers and snapshots. */
    labels: Record<string, string>;
  },
): ImageBuilder {
  const { hetzner } = deps;
  const managed = deps.labels;
  return {
    buildPlan(role: Role): Plan {
      const location = hetznerSection(role)?.location ?? 'nbg1';
      const name = snapshotName(role);
      const [create, boot] = serverSteps(deps, {
        name: `fleetbot-build-${role.name}`,
        location,
        serverType: () => deps.catalogue.smallest(location),
        labels: { ...managed, purpose: 'image-build', role: role.name },
        image: async () => baseImage,
      });
      return [
        { ...create!, title: 'Create build server' },
        boot!,
        ...reachSteps(deps.machine),
        // Not safe to repeat: the script ends by removing the SSH host keys, and an upgrade cut short
        // leaves dpkg locked; a restart in the middle rolls the build back (the build server goes).
        {
          key: 'build',
          title: 'Run the build script',
          timeoutMs: 30 * 60_000,
          run: async (ctx) => {
            const m = {
              address: String(ctx.outputs.server?.ip),
              login: 'root',
              hostKey: String(ctx.outputs.server?.hostKey),
            };
            await withMachine(
              deps.machine,
              m,
              async (ssh) => {
                await ssh.upload(placeholderPath, templateText('Caddyfile.placeholder'), 0o644);
                await run(deps.machine, ssh, remote.buildImage(), 'The build script', {
                  input: renderBuildScript(role.install.npm),
                  timeoutMs: 25 * 60_000,
                  signal: ctx.signal,
                });
              },
              ctx.signal,
            );
          },
        },
        {
          key: 'poweroff',
          rerunnable: true,
          title: 'Power off',
          run: async (ctx) => {
            const { serverId } = buildOutput.parse(ctx.outputs.server);
            await hetzner.waitAction(await hetzner.poweroff(serverId, ctx.signal), ctx.signal);
          },
        },
        // Not safe to repeat: a second create would make a second snapshot; its undo deletes the one recorded.
        {
          key: 'snapshot',
          title: 'Create snapshot',
          timeoutMs: 30 * 60_000,
          run: async (ctx) => {
            const { serverId } = buildOutput.parse(ctx.outputs.server);
            // Asked of the server rather than remembered: a build taken up after a restart made it earlier.
            const serverType = (await hetzner.getServer(serverId, ctx.signal))?.server_type.name ?? 'unknown';
            const previous = await hetzner.listImages({
              labelSelector: `managed-by=fleetbot,${imageLabel}=${name}`,
              type: 'snapshot',
            });
            const version = String(previous.length + 1);
            const { image, action } = await hetzner.createImage(
              serverId,
              {
                description: `${name} v${version} (${baseImage}, ${serverType})`,
                labels: { ...managed, [imageLabel]: name, role: role.name, version },
              },
              ctx.signal,
            );
            ctx.record({ imageId: image.id });
            await hetzner.waitAction(action, ctx.signal);
            return { imageId: image.id, snapshot: name, version };
          },
          undo: async (_ctx, output) => {
            const id = z.number().int().optional().parse(output.imageId);
            if (id !== undefined) await hetzner.deleteImage(id);
          },
        },
        {
          key: 'cleanup',
          rerunnable: true,
          title: 'Delete build server',
          run: async (ctx) => {
            await deleteServer(hetzner, buildOutput.parse(ctx.outputs.server).serverId, ctx.signal);
          },
        },
      ];
    },

    async list(): Promise<ImageInfo[]> {
      const images = await hetzner.listImages({
        labelSelector: `managed-by=fleetbot,${imageLabel}`,
        type: 'snapshot',
      });
      return images
        .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
        .map((i) => ({
          id: String(i.id),
          role: i.labels.role ?? '?',
          version: i.labels.version ?? '?',
          status: i.status,
          createdAt: i.created,
          description: i.description,
        }));
    },
  };
}
