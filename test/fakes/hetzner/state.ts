import { createHash, randomBytes } from 'node:crypto';
import { ActionLog, type ActionRecord } from './actions.js';
import {
  LOCATIONS,
  SERVER_TYPES,
  SYSTEM_IMAGES,
  type Architecture,
  type LocationInfo,
  type ServerTypeInfo,
} from './catalogue.js';
import { HcloudError, invalidInput, notFound, uniquenessError } from './errors.js';
import { LabelSelectorError, parseLabelSelector, type Labels } from './labels.js';
import { Scheduler } from './scheduler.js';

export type ServerStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'migrating'
  | 'rebuilding'
  | 'unknown';

export interface ImageRecord {
  id: number;
  type: 'system' | 'snapshot' | 'backup';
  status: 'available' | 'creating' | 'unavailable';
  /** Only system images have names; snapshots are found by ID or label. */
  name: string | null;
  description: string;
  labels: Labels;
  created: string;
  createdFrom: { id: number; name: string } | null;
  boundTo: number | null;
  osFlavor: 'ubuntu' | 'debian';
  osVersion: string | null;
  architecture: Architecture;
  diskSize: number;
  imageSize: number | null;
}

export interface ServerRecord {
  id: number;
  name: string;
  status: ServerStatus;
  labels: Labels;
  created: string;
  serverType: ServerTypeInfo;
  location: LocationInfo;
  image: ImageRecord;
  ipv4: { id: number; ip: string } | null;
  ipv6: { id: number; ip: string } | null;
  userData: string | null;
  sshKeys: SshKeyRecord[];
  firewallIds: number[];
  /** Bumped when the status is forced from outside, so transitions scheduled before that lapse. */
  epoch: number;
}

export interface SshKeyRecord {
  id: number;
  name: string;
  fingerprint: string;
  publicKey: string;
  labels: Labels;
  created: string;
}

export interface FirewallRule {
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
  description: string | null;
}

export type FirewallTarget =
  | { type: 'server'; server: { id: number } }
  | { type: 'label_selector'; label_selector: { selector: string } };

export interface FirewallRecord {
  id: number;
  name: string;
  labels: Labels;
  rules: FirewallRule[];
  appliedTo: FirewallTarget[];
  created: string;
}

// Request bodies as the handlers receive them: already checked against the OpenAPI request schema.

export interface CreateServerRequest {
  name: string;
  server_type: string;
  image: string;
  location?: string;
  datacenter?: string;
  ssh_keys?: string[];
  user_data?: string;
  labels?: Labels;
  firewalls?: Array<{ firewall: number }>;
  start_after_create?: boolean;
  public_net?: { enable_ipv4?: boolean; enable_ipv6?: boolean; ipv4?: number | null; ipv6?: number | null };
  networks?: number[];
  volumes?: number[];
  placement_group?: number;
}

export interface UpdateServerRequest {
  name?: string;
  labels?: Labels;
}

export interface CreateImageRequest {
  type?: 'snapshot' | 'backup';
  description?: string;
  labels?: Labels;
}

export interface CreateSshKeyRequest {
  name: string;
  public_key: string;
  labels?: Labels;
}

export interface CreateFirewallRequest {
  name: string;
  labels?: Labels;
  rules?: Array<Partial<FirewallRule> & Pick<FirewallRule, 'direction' | 'protocol'>>;
  apply_to?: Array<{
    type: FirewallTarget['type'];
    server?: { id: number };
    label_selector?: { selector: string };
  }>;
}

export interface Timings {
  /** initializing → starting (or → off without start_after_create). */
  bootDelayMs: number;
  /** starting → running. */
  startingDelayMs: number;
  /** How long every other action runs before it succeeds. */
  actionDelayMs: number;
}

export type PowerCommand = 'poweroff' | 'poweron' | 'reboot' | 'shutdown';

const USER_DATA_MAX = 32 * 1024;
const HOSTNAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const PUBLIC_KEY =
  /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) ([A-Za-z0-9+/]+={0,2})(\s.*)?$/;

/** The project the fake pretends to be: servers, images, keys, firewalls and the actions that change them. */
export class HetznerState {
  readonly scheduler = new Scheduler();
  readonly actions = new ActionLog(this.scheduler);
  readonly servers = new Map<number, ServerRecord>();
  readonly images = new Map<number, ImageRecord>();
  readonly sshKeys = new Map<number, SshKeyRecord>();
  readonly firewalls = new Map<number, FirewallRecord>();
  #nextServerId = 100_001;
  #nextImageId = 300_001;
  #nextSshKeyId = 5_001;
  #nextFirewallId = 7_001;
  #nextIp = 0;

  constructor(private readonly timings: Timings) {
    for (const image of SYSTEM_IMAGES) {
      this.images.set(image.id, {
        id: image.id,
        type: 'system',
        status: 'available',
        name: image.name,
        description: image.description,
        labels: {},
        created: image.created,
        createdFrom: null,
        boundTo: null,
        osFlavor: image.os_flavor,
        osVersion: image.os_version,
        architecture: image.architecture,
        diskSize: 5,
        imageSize: null,
      });
    }
  }

  /** Applies every state change that has come due; call before reading state. */
  advance(now: number): void {
    this.scheduler.runDue(now);
  }

  server(id: number): ServerRecord {
    const server = this.servers.get(id);
    if (server === undefined) throw notFound('server', id);
    return server;
  }

  image(id: number): ImageRecord {
    const image = this.images.get(id);
    if (image === undefined) throw notFound('image', id);
    return image;
  }

  createServer(
    request: CreateServerRequest,
    now: number,
  ): {
    server: ServerRecord;
    action: ActionRecord;
    nextActions: ActionRecord[];
    rootPassword: string | null;
  } {
    if (!HOSTNAME.test(request.name)) throw invalidInput('name', 'name must be a valid hostname (RFC 1123)');
    if ([...this.servers.values()].some((s) => s.name === request.name)) {
      throw uniquenessError('name', 'server name is already used');
    }
    const serverType = byIdOrName(SERVER_TYPES, request.server_type);
    if (serverType === undefined) throw invalidInput('server_type', 'server type not found');
    const location = this.#placement(request, serverType);
    const image = this.#bootImage(request.image, serverType.architecture);
    const sshKeys = (request.ssh_keys ?? []).map((ref) => {
      const key = byIdOrName([...this.sshKeys.values()], ref);
      if (key === undefined) throw invalidInput('ssh_keys', `ssh key '${ref}' not found`);
      return key;
    });
    const firewallIds = (request.firewalls ?? []).map(({ firewall }) => {
      if (!this.firewalls.has(firewall)) throw invalidInput('firewalls', `firewall ${firewall} not found`);
      return firewall;
    });
    if (request.user_data !== undefined && Buffer.byteLength(request.user_data) > USER_DATA_MAX) {
      throw invalidInput('user_data', 'user_data must be at most 32 KiB');
    }
    // This fake has no primary IPs, networks, volumes or placement groups, so any reference is dangling.
    for (const field of ['networks', 'volumes'] as const) {
      if ((request[field] ?? []).length > 0) throw invalidInput(field, `${field} not found`);
    }
    if (request.placement_group !== undefined) {
      throw invalidInput('placement_group', 'placement group not found');
    }
    const publicNet = request.public_net ?? {};
    if ((publicNet.ipv4 ?? publicNet.ipv6 ?? null) !== null) {
      throw invalidInput('public_net', 'primary IP not found');
    }

    const n = this.#nextIp++;
    const server: ServerRecord = {
      id: this.#nextServerId++,
      name: request.name,
      status: 'initializing',
      labels: { ...request.labels },
      created: isoTime(now),
      serverType,
      location,
      image,
      // Addresses come from the documentation ranges, so nothing a test does can reach a real host.
      ipv4:
        publicNet.enable_ipv4 === false ? null : { id: 900_000 + 2 * n, ip: `203.0.113.${(n % 254) + 1}` },
      ipv6:
        publicNet.enable_ipv6 === false
          ? null
          : { id: 900_001 + 2 * n, ip: `2001:db8:${n.toString(16)}::/64` },
      userData: request.user_data ?? null,
      sshKeys,
      firewallIds,
      epoch: 0,
    };
    this.servers.set(server.id, server);
    for (const id of firewallIds) {
      this.firewalls.get(id)?.appliedTo.push({ type: 'server', server: { id: server.id } });
    }

    const { bootDelayMs, startingDelayMs } = this.timings;
    const startAfterCreate = request.start_after_create ?? true;
    const resources = [{ id: server.id, type: 'server' as const }];
    const action = this.actions.start('create_server', resources, now, bootDelayMs, () => {
      this.#transition(server, 0, startAfterCreate ? 'starting' : 'off');
    });
    const nextActions = startAfterCreate
      ? [
          this.actions.start('start_server', resources, now, bootDelayMs + startingDelayMs, () => {
            this.#transition(server, 0, 'running');
          }),
        ]
      : [];
    const rootPassword = sshKeys.length > 0 ? null : randomBytes(15).toString('base64url');
    return { server, action, nextActions, rootPassword };
  }

  updateServer(id: number, request: UpdateServerRequest): ServerRecord {
    const server = this.server(id);
    if (request.name !== undefined && request.name !== server.name) {
      if (!HOSTNAME.test(request.name)) {
        throw invalidInput('name', 'name must be a valid hostname (RFC 1123)');
      }
      if ([...this.servers.values()].some((s) => s.name === request.name)) {
        throw uniquenessError('name', 'server name is already used');
      }
      server.name = request.name;
    }
    // Labels are replaced wholesale, not merged.
    if (request.labels !== undefined) server.labels = { ...request.labels };
    return server;
  }

  /** Deletion is allowed even mid-action (a rollback right after create); the server goes when it finishes. */
  deleteServer(id: number, now: number): ActionRecord {
    const server = this.server(id);
    this.#force(server, 'deleting');
    return this.actions.start(
      'delete_server',
      [{ id, type: 'server' }],
      now,
      this.timings.actionDelayMs,
      () => {
        if (this.servers.get(id) !== server) return;
        this.servers.delete(id);
        for (const firewall of this.firewalls.values()) {
          firewall.appliedTo = firewall.appliedTo.filter((t) => t.type !== 'server' || t.server.id !== id);
        }
      },
    );
  }

  power(id: number, command: PowerCommand, now: number): ActionRecord {
    const server = this.#unlockedServer(id);
    const { epoch } = server;
    const { actionDelayMs } = this.timings;
    const resources = [{ id, type: 'server' as const }];
    switch (command) {
      case 'poweroff':
        return this.actions.start('stop_server', resources, now, actionDelayMs, () => {
          this.#transition(server, epoch, 'off');
        });
      case 'poweron':
        return this.actions.start('start_server', resources, now, actionDelayMs, () => {
          this.#transition(server, epoch, 'running');
        });
      case 'reboot':
        return this.actions.start('reboot_server', resources, now, actionDelayMs);
      case 'shutdown':
        // The action only reports that the ACPI signal went out; the guest takes as long again to power off.
        this.scheduler.at(now + 2 * actionDelayMs, () => this.#transition(server, epoch, 'off'));
        return this.actions.start('shutdown_server', resources, now, actionDelayMs);
    }
  }

  createImage(
    serverId: number,
    request: CreateImageRequest,
    now: number,
  ): { image: ImageRecord; action: ActionRecord } {
    const server = this.#unlockedServer(serverId);
    const type = request.type ?? 'snapshot';
    const image: ImageRecord = {
      id: this.#nextImageId++,
      type,
      status: 'creating',
      name: null,
      description: request.description ?? `${server.name}-${type}`,
      labels: { ...request.labels },
      created: isoTime(now),
      createdFrom: { id: server.id, name: server.name },
      boundTo: type === 'backup' ? server.id : null,
      osFlavor: server.image.osFlavor,
      osVersion: server.image.osVersion,
      architecture: server.serverType.architecture,
      diskSize: server.serverType.disk,
      imageSize: null,
    };
    this.images.set(image.id, image);
    const resources = [
      { id: image.id, type: 'image' as const },
      { id: server.id, type: 'server' as const },
    ];
    const action = this.actions.start('create_image', resources, now, this.timings.actionDelayMs, () => {
      image.status = 'available';
      image.imageSize = 1.4;
    });
    return { image, action };
  }

  /** Test control: a snapshot that exists before the test, as one uploaded to a project would. */
  importSnapshot(request: Required<Omit<CreateImageRequest, 'type'>>, now: number): ImageRecord {
    const image: ImageRecord = {
      id: this.#nextImageId++,
      type: 'snapshot',
      status: 'available',
      name: null,
      description: request.description,
      labels: { ...request.labels },
      created: isoTime(now),
      createdFrom: null,
      boundTo: null,
      osFlavor: 'debian',
      osVersion: '12',
      architecture: 'x86',
      diskSize: 3,
      imageSize: 0.9,
    };
    this.images.set(image.id, image);
    return image;
  }

  deleteImage(id: number): void {
    const image = this.image(id);
    if (image.type === 'system') throw new HcloudError('forbidden', 'system images cannot be deleted');
    this.images.delete(id);
  }

  createSshKey(request: CreateSshKeyRequest, now: number): SshKeyRecord {
    const parsed = PUBLIC_KEY.exec(request.public_key.trim());
    const blob = parsed?.[5];
    if (blob === undefined) throw invalidInput('public_key', 'invalid public key');
    const fingerprint = (
      createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').match(/../g) ?? []
    ).join(':');
    const existing = [...this.sshKeys.values()];
    if (existing.some((k) => k.name === request.name)) {
      throw uniquenessError('name', 'SSH key name is already used');
    }
    if (existing.some((k) => k.fingerprint === fingerprint)) {
      throw uniquenessError('public_key', 'SSH key with the same fingerprint already exists');
    }
    const key: SshKeyRecord = {
      id: this.#nextSshKeyId++,
      name: request.name,
      fingerprint,
      publicKey: request.public_key,
      labels: { ...request.labels },
      created: isoTime(now),
    };
    this.sshKeys.set(key.id, key);
    return key;
  }

  createFirewall(
    request: CreateFirewallRequest,
    now: number,
  ): { firewall: FirewallRecord; actions: ActionRecord[] } {
    if ([...this.firewalls.values()].some((f) => f.name === request.name)) {
      throw uniquenessError('name', 'firewall name is already used');
    }
    const appliedTo = (request.apply_to ?? []).map((target): FirewallTarget => {
      if (target.type === 'server') {
        const id = target.server?.id;
        if (id === undefined || !this.servers.has(id)) {
          throw invalidInput('apply_to', `server ${id} not found`);
        }
        return { type: 'server', server: { id } };
      }
      const selector = target.label_selector?.selector;
      if (selector === undefined) throw invalidInput('apply_to', 'label_selector.selector is required');
      try {
        parseLabelSelector(selector);
      } catch (error) {
        if (error instanceof LabelSelectorError) throw invalidInput('apply_to', error.message);
        throw error;
      }
      return { type: 'label_selector', label_selector: { selector } };
    });
    const firewall: FirewallRecord = {
      id: this.#nextFirewallId++,
      name: request.name,
      labels: { ...request.labels },
      rules: (request.rules ?? []).map((rule) => ({
        direction: rule.direction,
        protocol: rule.protocol,
        port: rule.port ?? null,
        source_ips: rule.source_ips ?? [],
        destination_ips: rule.destination_ips ?? [],
        description: rule.description ?? null,
      })),
      appliedTo,
      created: isoTime(now),
    };
    this.firewalls.set(firewall.id, firewall);
    const actions = appliedTo.flatMap((target) => {
      if (target.type !== 'server') return [];
      this.servers.get(target.server.id)?.firewallIds.push(firewall.id);
      const resources = [
        { id: firewall.id, type: 'firewall' as const },
        { id: target.server.id, type: 'server' as const },
      ];
      return [this.actions.start('apply_firewall', resources, now, this.timings.actionDelayMs)];
    });
    return { firewall, actions };
  }

  /** Test control: pins a status, cancelling whatever transitions were still pending for the server. */
  forceStatus(id: number, status: ServerStatus): void {
    const server = this.servers.get(id);
    if (server === undefined) throw new Error(`no server with id ${id}`);
    this.#force(server, status);
  }

  #force(server: ServerRecord, status: ServerStatus): void {
    server.status = status;
    server.epoch += 1;
  }

  /** A scheduled status change, skipped if the status has been forced since it was scheduled. */
  #transition(server: ServerRecord, epoch: number, status: ServerStatus): void {
    if (server.epoch === epoch) server.status = status;
  }

  #unlockedServer(id: number): ServerRecord {
    const server = this.server(id);
    if (this.actions.isLocked('server', id)) throw new HcloudError('locked', 'server is locked');
    return server;
  }

  #placement(request: CreateServerRequest, serverType: ServerTypeInfo): LocationInfo {
    let location: LocationInfo | undefined;
    if (request.location !== undefined) {
      location = byIdOrName(LOCATIONS, request.location);
      if (location === undefined) throw invalidInput('location', 'location not found');
    } else if (request.datacenter !== undefined) {
      const ref = request.datacenter;
      location = LOCATIONS.find((l) => l.datacenter.name === ref || String(l.datacenter.id) === ref);
      if (location === undefined) throw invalidInput('datacenter', 'datacenter not found');
    } else {
      location = LOCATIONS.find((l) => serverType.locations.includes(l.name));
    }
    if (location === undefined || !serverType.locations.includes(location.name)) {
      throw invalidInput('location', 'unsupported location for server type');
    }
    return location;
  }

  /** Names are per architecture (`ubuntu-24.04` exists for x86 and arm), so a name resolves for the type's. */
  #bootImage(ref: string, architecture: Architecture): ImageRecord {
    const images = [...this.images.values()];
    const image = /^\d+$/.test(ref)
      ? images.find((i) => i.id === Number(ref))
      : images.find((i) => i.name === ref && i.architecture === architecture);
    if (image === undefined) throw invalidInput('image', 'image not found');
    if (image.architecture !== architecture) {
      throw invalidInput('image', 'image architecture does not match the server type');
    }
    if (image.status !== 'available') throw invalidInput('image', 'image is not available');
    return image;
  }
}

/** API timestamps: second precision with an explicit offset, as the API writes them. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Many request fields take either a numeric ID or a name. */
function byIdOrName<T extends { id: number; name: string | null }>(
  items: readonly T[],
  ref: string,
): T | undefined {
  return /^\d+$/.test(ref) ? items.find((i) => i.id === Number(ref)) : items.find((i) => i.name === ref);
}
