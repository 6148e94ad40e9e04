import type { ImageRecord, ServerRecord, ServerStatus } from './state.js';
import type { Labels } from './labels.js';

/** A server as tests see it: copies, in camelCase, without the API's nesting. */
export interface FakeServer {
  id: number;
  name: string;
  status: ServerStatus;
  labels: Labels;
  ipv4: string | null;
  /** Server type name, e.g. `cx23`. */
  serverType: string;
  /** Image name for system images, the numeric ID (as a string, as in requests) for snapshots. */
  image: string;
  /** Location name, e.g. `nbg1`. */
  location: string;
  userData: string | null;
  /** Public keys of the SSH keys the server was created with, as a VM lab would install them. */
  sshKeys: string[];
  createdAt: string;
}

export interface FakeImage {
  id: number;
  type: ImageRecord['type'];
  status: ImageRecord['status'];
  name: string | null;
  description: string;
  labels: Labels;
  createdFrom: { id: number; name: string } | null;
  architecture: ImageRecord['architecture'];
  diskSize: number;
  createdAt: string;
}

export function toFakeServer(server: ServerRecord): FakeServer {
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    labels: { ...server.labels },
    ipv4: server.ipv4?.ip ?? null,
    serverType: server.serverType.name,
    image: server.image.name ?? String(server.image.id),
    location: server.location.name,
    userData: server.userData,
    sshKeys: server.sshKeys.map((k) => k.publicKey),
    createdAt: server.created,
  };
}

export function toFakeImage(image: ImageRecord): FakeImage {
  return {
    id: image.id,
    type: image.type,
    status: image.status,
    name: image.name,
    description: image.description,
    labels: { ...image.labels },
    createdFrom: image.createdFrom && { ...image.createdFrom },
    architecture: image.architecture,
    diskSize: image.diskSize,
    createdAt: image.created,
  };
}
