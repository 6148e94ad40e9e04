import { renderSshKey } from '../render.js';
import type { CreateSshKeyRequest, SshKeyRecord } from '../state.js';
import { notFound } from '../errors.js';
import { body, idParam, json, labelFilter, listReply, type RouteDeps, type RouteTable } from './context.js';

const SORT_KEYS = { id: (k: SshKeyRecord) => k.id, name: (k: SshKeyRecord) => k.name };

export function sshKeyRoutes(deps: RouteDeps): RouteTable {
  const { state } = deps;
  return [
    [
      'GET',
      '/ssh_keys',
      (ctx) => {
        const labels = labelFilter(ctx);
        const name = ctx.query.get('name');
        const fingerprint = ctx.query.get('fingerprint');
        const keys = [...state.sshKeys.values()].filter(
          (k) =>
            (name === null || k.name === name) &&
            (fingerprint === null || k.fingerprint === fingerprint) &&
            labels(k.labels),
        );
        return listReply(ctx, deps, 'ssh_keys', keys, renderSshKey, SORT_KEYS);
      },
    ],
    [
      'POST',
      '/ssh_keys',
      (ctx) =>
        json(201, { ssh_key: renderSshKey(state.createSshKey(body<CreateSshKeyRequest>(ctx), ctx.now)) }),
    ],
    [
      'GET',
      '/ssh_keys/{id}',
      (ctx) => {
        const id = idParam(ctx, 'id', 'ssh_key');
        const key = state.sshKeys.get(id);
        if (key === undefined) throw notFound('ssh_key', id);
        return json(200, { ssh_key: renderSshKey(key) });
      },
    ],
  ];
}
