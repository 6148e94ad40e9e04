import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ImageBuilder, ImageInfo } from '../../core/fleet/provider.js';
import type { Role } from '../../core/fleet/roles.js';
import type { Plan } from '../../core/jobs/plan.js';
import { UserError } from '../../core/runtime/errors.js';
import { imageLabel, managedLabels } from '../labels.js';
import { placeRoleFiles } from '../machine/layout.js';
import { renderTemplate } from '../machine/templates.js';
import { containerPaths, containerWalls, dockerSection } from './agentContainer.js';
import { isNotFound, type Engine } from './engine.js';
import { buildImage } from './imageBuild.js';
import { tarball, type TarEntry } from './tarball.js';

/** The image a role's builds are tagged as: fleetbot-<role>:v<N>. Role names are valid image names. */
export const builtImageName = (role: string): string => `fleetbot-${role}`;

/** How long a build may take: an npm install of a coding CLI on a slow link, well within. */
const buildTimeoutMs = 30 * 60_000;
const baseLabel = 'fleetbot-base';

const imageSummary = z.object({
  Id: z.string(),
  RepoTags: z
    .array(z.string())
    .nullish()
    .transform((t) => t ?? []),
  Created: z.number(),
  Size: z.number(),
  Labels: z
    .record(z.string(), z.string())
    .nullish()
    .transform((l) => l ?? {}),
});
type ImageSummary = z.output<typeof imageSummary>;

const buildOutput = z.object({ version: z.number().int().positive() });

/**
 * The role's Dockerfile (templates/docker/Dockerfile): its install.npm, then a check that the base
 * brings the programs the role's commands run (a build from the wrong base fails saying so), then
 * the agent's layout and its non-root user.
 */
export function dockerfileFor(role: Role, base: string): string {
  const walls = containerWalls(role);
  const placed = placeRoleFiles(role, containerPaths.files);
  const programs = [
    ...new Set(
      [placed.daemonArgv?.[0], placed.chatArgv?.[0]].filter(
        (p): p is string => p !== undefined && !p.startsWith(`${containerPaths.files}/`),
      ),
    ),
  ];
  return renderTemplate('Dockerfile', {
    role: role.name,
    base,
    npmPackages: role.install.npm.length > 0 ? role.install.npm : undefined,
    programs: programs.length > 0 ? programs : undefined,
    user: `${walls.uid}:${walls.gid}`,
    roleFiles: containerPaths.files,
    workspace: containerPaths.workspace,
  });
}

/** The build context: the Dockerfile and what it copies (the workspace, the role's files), a tar in memory. */
export function buildContext(role: Role, base: string): Buffer {
  const placed = placeRoleFiles(role, containerPaths.files);
  const root = { uid: 0, gid: 0 };
  const entries: TarEntry[] = [
    { name: 'Dockerfile', mode: 0o644, ...root, content: Buffer.from(dockerfileFor(role, base)) },
    { name: 'agent', mode: 0o755, ...root },
    { name: `agent${containerPaths.workspace}`, mode: 0o700, ...root },
    { name: 'role', mode: 0o755, ...root },
    ...Object.entries(placed.files).map(([name, local]) => ({
      name: `role/${name}`,
      mode: 0o444,
      ...root,
      content: readFileSync(local),
    })),
  ];
  return tarball(entries);
}

/**
 * Images fleetbot builds for roles on the docker provider's Engine, through its own POST /build:
 * tagged fleetbot-<role>:v<N>, labelled like everything else it makes, plus the image's name, the role,
 * the version and the base. A deploy of a role that names no image runs the newest one.
 */
export function dockerImages(opts: {
  engine: Engine;
  instance: string;
  /** FLEETBOT_DOCKER_IMAGE: the base of roles whose providers.docker names none. */
  defaultImage: string | undefined;
}): ImageBuilder & { newest(role: string): Promise<string | undefined> } {
  const { engine } = opts;
  const own = managedLabels(opts.instance);

  /** This fleetbot's built images, of one role or of all. */
  const built = (role?: string): Promise<ImageSummary[]> => {
    const match = { ...own, [imageLabel]: role === undefined ? undefined : builtImageName(role) };
    const filters = JSON.stringify({
      label: Object.entries(match).map(([k, v]) => (v === undefined ? k : `${k}=${v}`)),
    });
    return engine.json('GET', '/images/json', z.array(imageSummary), {
      what: 'listing the images fleetbot built',
      query: { filters },
    });
  };

  const versionOf = (image: ImageSummary): number => Number.parseInt(image.Labels['version'] ?? '0', 10) || 0;
  /** The tag fleetbot gave it, while the image still carries it. */
  const tagOf = (image: ImageSummary): string | undefined =>
    image.RepoTags.find((t) => t === `${image.Labels[imageLabel]}:v${versionOf(image)}`);

  /**
   * The next version of a role's image: one past the highest `v<N>` tag of its name on the Engine,
   * whoever's, so a build never takes a tag another fleetbot's image has.
   */
  const nextVersion = async (name: string): Promise<number> => {
    const tagged = await engine.json('GET', '/images/json', z.array(imageSummary), {
      what: `listing the images named ${name}`,
      query: { filters: JSON.stringify({ reference: [name] }) },
    });
    const versions = tagged.flatMap((i) =>
      i.RepoTags.flatMap((t) => {
        const v = new RegExp(`^${name}:v(\\d+)$`).exec(t)?.[1];
        return v === undefined ? [] : [Number.parseInt(v, 10)];
      }),
    );
    return Math.max(0, ...versions) + 1;
  };

  const removeTag = async (tag: string): Promise<void> => {
    try {
      await engine.send('DELETE', `/images/${encodeURIComponent(tag)}`, { what: `removing ${tag}` });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  return {
    buildPlan(role: Role): Plan {
      const base = dockerSection(role).base ?? opts.defaultImage;
      if (!base)
        throw new UserError(
          `Role ${role.name} names no image to build from: set providers.docker.base in ${role.file} (an image with /bin/sh and what the role runs, such as node:20-bookworm-slim), or FLEETBOT_DOCKER_IMAGE.`,
        );
      const name = builtImageName(role.name);
      const context = buildContext(role, base);
      const again = `/image build ${role.name} --provider docker`;
      const where = `${engine.where.charAt(0).toUpperCase()}${engine.where.slice(1)}`;
      const advice = (instruction: string | undefined): string => {
        if (instruction === 'FROM')
          return `${where} has no image ${base} and could not pull it: load it there (docker pull or docker load), or set providers.docker.base in ${role.file} to an image it has; then ${again}.`;
        if (instruction === 'RUN')
          return `Fix the base image (providers.docker.base or FLEETBOT_DOCKER_IMAGE) or the role's install.npm in ${role.file}, then ${again}.`;
        return `Check that ${engine.where} can build images (docker info), then ${again}.`;
      };
      return [
        {
          key: 'build',
          // Built again from the start after a restart, under the version it recorded: the Engine's
          // cache makes the steps that had finished quick, and the tag is given only at the end.
          rerunnable: true,
          title: `Build ${name} from ${base} on ${engine.where}`,
          timeoutMs: buildTimeoutMs,
          run: async (ctx) => {
            const version = buildOutput.partial().parse(ctx.earlier).version ?? (await nextVersion(name));
            ctx.record({ version });
            const tag = `${name}:v${version}`;
            const imageId = await buildImage(engine, {
              context,
              tag,
              labels: {
                ...own,
                [imageLabel]: name,
                role: role.name,
                version: String(version),
                [baseLabel]: base,
              },
              // Past the step's own timeout, so the card says the step's words rather than the Engine call's.
              timeoutMs: buildTimeoutMs + 60_000,
              signal: ctx.signal,
              advice,
            });
            return { version, image: tag, imageId };
          },
          // A build that failed or was cancelled tagged nothing; one that finished is untagged again.
          undo: async (_ctx, output) => {
            const { version } = buildOutput.partial().parse(output);
            if (version !== undefined) await removeTag(`${name}:v${version}`);
          },
        },
      ];
    },

    async list(): Promise<ImageInfo[]> {
      const images = await built();
      return images
        .sort((a, b) => b.Created - a.Created)
        .map((i) => ({
          id: tagOf(i) ?? i.Id.replace(/^sha256:/, '').slice(0, 12),
          role: i.Labels['role'] ?? '?',
          version: String(versionOf(i)),
          status: tagOf(i) ? 'available' : 'untagged',
          createdAt: new Date(i.Created * 1000).toISOString(),
          description: `${i.Id.replace(/^sha256:/, '').slice(0, 12)} from ${i.Labels[baseLabel] ?? '?'}, ${Math.round(i.Size / 1e6)} MB`,
        }));
    },

    async newest(role: string): Promise<string | undefined> {
      const tagged = (await built(role)).flatMap((i) => {
        const tag = tagOf(i);
        return tag === undefined ? [] : [{ tag, version: versionOf(i) }];
      });
      return tagged.sort((a, b) => b.version - a.version)[0]?.tag;
    },
  };
}
