/**
 * A small, realistic slice of Hetzner's fixed catalogue: four locations, the server types a deploy tool
 * picks from (cost-optimised cx*3, AMD cpx*1, ARM cax*1, dedicated ccx13) with where each is sold, and the
 * usual system images in both architectures. IDs are made up; names and sizes follow the public offer.
 */

export type Architecture = 'x86' | 'arm';

export interface LocationInfo {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
  /** The one datacenter the (deprecated) `datacenter` fields refer to. */
  datacenter: { id: number; name: string; description: string };
  /** Bytes of traffic included per server per month, which differs between the EU and the US. */
  includedTraffic: number;
}

export interface ServerTypeInfo {
  id: number;
  name: string;
  description: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: Architecture;
  /** Net EUR per month; hourly and gross prices are derived from it. */
  monthlyNet: number;
  /** Names of the locations that sell this type. */
  locations: readonly string[];
}

export interface SystemImageInfo {
  id: number;
  name: string;
  description: string;
  os_flavor: 'ubuntu' | 'debian';
  os_version: string;
  architecture: Architecture;
  created: string;
}

const TB = 1024 ** 4;

export const LOCATIONS: readonly LocationInfo[] = [
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
    datacenter: { id: 4, name: 'fsn1-dc14', description: 'Falkenstein 1 virtual DC 14' },
    includedTraffic: 20 * TB,
  },
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
    datacenter: { id: 2, name: 'nbg1-dc3', description: 'Nuremberg 1 virtual DC 3' },
    includedTraffic: 20 * TB,
  },
  {
    id: 3,
    name: 'hel1',
    description: 'Helsinki DC Park 1',
    country: 'FI',
    city: 'Helsinki',
    latitude: 60.169855,
    longitude: 24.938379,
    network_zone: 'eu-central',
    datacenter: { id: 3, name: 'hel1-dc2', description: 'Helsinki 1 virtual DC 2' },
    includedTraffic: 20 * TB,
  },
  {
    id: 4,
    name: 'ash',
    description: 'Ashburn, VA',
    country: 'US',
    city: 'Ashburn, VA',
    latitude: 39.045821,
    longitude: -77.487073,
    network_zone: 'us-east',
    datacenter: { id: 5, name: 'ash-dc1', description: 'Ashburn virtual DC 1' },
    includedTraffic: 1 * TB,
  },
];

const EU = ['fsn1', 'nbg1', 'hel1'];
const EVERYWHERE = [...EU, 'ash'];

export const SERVER_TYPES: readonly ServerTypeInfo[] = [
  serverType(101, 'cx23', 2, 4, 40, 'shared', 'x86', 2.99, EU),
  serverType(102, 'cx33', 4, 8, 80, 'shared', 'x86', 4.99, EU),
  serverType(103, 'cx43', 8, 16, 160, 'shared', 'x86', 8.99, EU),
  serverType(104, 'cx53', 16, 32, 320, 'shared', 'x86', 16.99, EU),
  serverType(111, 'cpx11', 2, 2, 40, 'shared', 'x86', 4.35, EVERYWHERE),
  serverType(112, 'cpx21', 3, 4, 80, 'shared', 'x86', 7.55, EVERYWHERE),
  serverType(113, 'cpx31', 4, 8, 160, 'shared', 'x86', 13.6, EVERYWHERE),
  serverType(121, 'cax11', 2, 4, 40, 'shared', 'arm', 3.79, EU),
  serverType(122, 'cax21', 4, 8, 80, 'shared', 'arm', 6.49, EU),
  serverType(131, 'ccx13', 2, 8, 80, 'dedicated', 'x86', 12.49, EVERYWHERE),
];

export const SYSTEM_IMAGES: readonly SystemImageInfo[] = [
  systemImage(1, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'x86', '2024-04-25T12:00:00+00:00'),
  systemImage(2, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04', 'arm', '2024-04-25T12:00:00+00:00'),
  systemImage(3, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04', 'x86', '2022-04-21T12:00:00+00:00'),
  systemImage(4, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04', 'arm', '2022-04-21T12:00:00+00:00'),
  systemImage(5, 'debian-12', 'Debian 12', 'debian', '12', 'x86', '2023-06-13T12:00:00+00:00'),
  systemImage(6, 'debian-12', 'Debian 12', 'debian', '12', 'arm', '2023-06-13T12:00:00+00:00'),
];

function serverType(
  id: number,
  name: string,
  cores: number,
  memory: number,
  disk: number,
  cpuType: ServerTypeInfo['cpu_type'],
  architecture: Architecture,
  monthlyNet: number,
  locations: readonly string[],
): ServerTypeInfo {
  const description = name.toUpperCase();
  return {
    id,
    name,
    description,
    cores,
    memory,
    disk,
    cpu_type: cpuType,
    architecture,
    monthlyNet,
    locations,
  };
}

function systemImage(
  id: number,
  name: string,
  description: string,
  flavor: SystemImageInfo['os_flavor'],
  version: string,
  architecture: Architecture,
  created: string,
): SystemImageInfo {
  return { id, name, description, os_flavor: flavor, os_version: version, architecture, created };
}
