import type { ActionLog, ActionRecord } from './actions.js';
import { LOCATIONS, SERVER_TYPES, type LocationInfo, type ServerTypeInfo } from './catalogue.js';
import { parseLabelSelector } from './labels.js';
import {
  isoTime,
  type FirewallRecord,
  type ImageRecord,
  type ServerRecord,
  type SshKeyRecord,
} from './state.js';

// Records → the JSON the API sends. Shapes follow components.schemas in hcloud-openapi.json; the response
// checker in contract.ts holds them to it.

export function renderAction(action: ActionRecord, now: number): unknown {
  const running = action.status === 'running';
  const span = Math.max(1, action.finishesAt - action.startedAt);
  return {
    id: action.id,
    command: action.command,
    status: action.status,
    progress: running ? Math.min(99, Math.floor(((now - action.startedAt) / span) * 100)) : 100,
    started: isoTime(action.startedAt),
    finished: running ? null : isoTime(action.finishesAt),
    resources: action.resources,
    error: null,
  };
}

export function renderServer(server: ServerRecord, actions: ActionLog): unknown {
  const { serverType, location, ipv4, ipv6 } = server;
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    created: server.created,
    labels: server.labels,
    public_net: {
      ipv4: ipv4 && { id: ipv4.id, ip: ipv4.ip, blocked: false, dns_ptr: reversePointer(ipv4.ip) },
      ipv6: ipv6 && { id: ipv6.id, ip: ipv6.ip, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: server.firewallIds.map((id) => ({ id, status: 'applied' })),
    },
    private_net: [],
    server_type: renderServerType(serverType),
    datacenter: renderDatacenter(location),
    location: renderLocation(location),
    image: renderImage(server.image),
    iso: null,
    rescue_enabled: false,
    locked: actions.isLocked('server', server.id),
    backup_window: null,
    outgoing_traffic: null,
    ingoing_traffic: null,
    included_traffic: location.includedTraffic,
    protection: { delete: false, rebuild: false },
    primary_disk_size: serverType.disk,
    placement_group: null,
    volumes: [],
    load_balancers: [],
  };
}

export function renderImage(image: ImageRecord): unknown {
  return {
    id: image.id,
    type: image.type,
    status: image.status,
    name: image.name,
    description: image.description,
    image_size: image.imageSize,
    disk_size: image.diskSize,
    created: image.created,
    created_from: image.createdFrom,
    bound_to: image.boundTo,
    os_flavor: image.osFlavor,
    os_version: image.osVersion,
    architecture: image.architecture,
    rapid_deploy: image.type === 'system',
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: image.labels,
  };
}

export function renderServerType(type: ServerTypeInfo): unknown {
  const sold = LOCATIONS.filter((l) => type.locations.includes(l.name));
  return {
    id: type.id,
    name: type.name,
    description: type.description,
    cores: type.cores,
    memory: type.memory,
    disk: type.disk,
    cpu_type: type.cpu_type,
    architecture: type.architecture,
    storage_type: 'local',
    deprecated: false,
    deprecation: null,
    locations: sold.map((l) => ({ id: l.id, name: l.name, deprecation: null })),
    prices: sold.map((l) => ({
      location: l.name,
      price_hourly: price(type.monthlyNet / 720),
      price_monthly: price(type.monthlyNet),
      included_traffic: l.includedTraffic,
      price_per_tb_traffic: price(1),
    })),
  };
}

export function renderLocation(location: LocationInfo): unknown {
  const { id, name, description, country, city, latitude, longitude, network_zone } = location;
  return { id, name, description, country, city, latitude, longitude, network_zone };
}

function renderDatacenter(location: LocationInfo): unknown {
  const sold = SERVER_TYPES.filter((t) => t.locations.includes(location.name)).map((t) => t.id);
  return {
    ...location.datacenter,
    location: renderLocation(location),
    server_types: { available: sold, available_for_migration: sold, supported: sold },
  };
}

export function renderSshKey(key: SshKeyRecord): unknown {
  return {
    id: key.id,
    name: key.name,
    fingerprint: key.fingerprint,
    public_key: key.publicKey,
    labels: key.labels,
    created: key.created,
  };
}

/** A label-selector target also lists the servers it currently covers. */
export function renderFirewall(firewall: FirewallRecord, servers: Iterable<ServerRecord>): unknown {
  const all = [...servers];
  return {
    id: firewall.id,
    name: firewall.name,
    labels: firewall.labels,
    created: firewall.created,
    rules: firewall.rules,
    applied_to: firewall.appliedTo.map((target) => {
      if (target.type === 'server') return target;
      const covers = parseLabelSelector(target.label_selector.selector);
      const resources = all
        .filter((s) => covers(s.labels))
        .map((s) => ({ type: 'server', server: { id: s.id } }));
      return { ...target, applied_to_resources: resources };
    }),
  };
}

/** Prices are decimal strings; gross includes German VAT. */
function price(net: number): { net: string; gross: string } {
  return { net: net.toFixed(10), gross: (net * 1.19).toFixed(10) };
}

function reversePointer(ip: string): string {
  return `static.${ip.split('.').reverse().join('.')}.clients.your-server.de`;
}
