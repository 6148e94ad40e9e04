import { notFound } from '../errors.js';
import { renderAction, renderImage, renderServer } from '../render.js';
import type {
  CreateImageRequest,
  CreateServerRequest,
  HetznerState,
  PowerCommand,
  ServerRecord,
  UpdateServerRequest,
} from '../state.js';
import { toFakeServer } from '../views.js';
import type { VmBackend } from '../vmBackend.js';
import {
  anyOf,
  body,
  idParam,
  json,
  labelFilter,
  listReply,
  type RouteDeps,
  type RouteTable,
} from './context.js';

const SORT_KEYS = {
  id: (s: ServerRecord) => s.id,
  name: (s: ServerRecord) => s.name,
  created: (s: ServerRecord) => Date.parse(s.created),
};

export function serverRoutes(deps: RouteDeps): RouteTable {
  const { state, vm } = deps;
  const power = (command: PowerCommand): RouteTable[number] => [
    'POST',
    `/servers/{id}/actions/${command}`,
    async (ctx) => {
      const id = idParam(ctx, 'id', 'server');
      const action = state.power(id, command, ctx.now);
      if (vm) await powerVm(vm, id, command);
      return json(201, { action: renderAction(action, ctx.now) });
    },
  ];

  return [
    [
      'GET',
      '/servers',
      (ctx) => {
        const labels = labelFilter(ctx);
        const name = ctx.query.get('name');
        const status = anyOf(ctx, 'status');
        const servers = [...state.servers.values()].filter(
          (s) => (name === null || s.name === name) && labels(s.labels) && status(s.status),
        );
        return listReply(ctx, deps, 'servers', servers, (s) => renderServer(s, state.actions), SORT_KEYS);
      },
    ],
    [
      'POST',
      '/servers',
      async (ctx) => {
        const created = state.createServer(body<CreateServerRequest>(ctx), ctx.now);
        if (vm) await bootVm(vm, state, created.server);
        await deps.serverCreated(toFakeServer(created.server));
        return json(201, {
          server: renderServer(created.server, state.actions),
          action: renderAction(created.action, ctx.now),
          next_actions: created.nextActions.map((a) => renderAction(a, ctx.now)),
          root_password: created.rootPassword,
        });
      },
    ],
    [
      'GET',
      '/servers/{id}',
      (ctx) => json(200, { server: renderServer(state.server(idParam(ctx, 'id', 'server')), state.actions) }),
    ],
    [
      'PUT',
      '/servers/{id}',
      (ctx) => {
        const server = state.updateServer(idParam(ctx, 'id', 'server'), body<UpdateServerRequest>(ctx));
        return json(200, { server: renderServer(server, state.actions) });
      },
    ],
    [
      'DELETE',
      '/servers/{id}',
      async (ctx) => {
        const id = idParam(ctx, 'id', 'server');
        const action = state.deleteServer(id, ctx.now);
        await vm?.remove(id);
        return json(200, { action: renderAction(action, ctx.now) });
      },
    ],
    power('poweroff'),
    power('poweron'),
    power('reboot'),
    power('shutdown'),
    [
      'POST',
      '/servers/{id}/actions/create_image',
      async (ctx) => {
        const id = idParam(ctx, 'id', 'server');
        const { image, action } = state.createImage(id, body<CreateImageRequest>(ctx), ctx.now);
        await vm?.snapshot(id, image.id);
        return json(201, { image: renderImage(image), action: renderAction(action, ctx.now) });
      },
    ],
    [
      'GET',
      '/servers/{id}/actions/{action_id}',
      (ctx) => {
        const serverId = idParam(ctx, 'id', 'server');
        const actionId = idParam(ctx, 'action_id', 'action');
        const action = state.actions.get(actionId);
        // Actions outlive their server (a finished delete_server stays readable), so only the link is checked.
        if (action === undefined || !action.resources.some((r) => r.type === 'server' && r.id === serverId)) {
          throw notFound('action', actionId);
        }
        return json(200, { action: renderAction(action, ctx.now) });
      },
    ],
  ];
}

/** The server's address becomes its VM's; a VM that cannot boot leaves no server behind. */
async function bootVm(vm: VmBackend, state: HetznerState, server: ServerRecord): Promise<void> {
  try {
    const ip = await vm.boot({
      id: server.id,
      name: server.name,
      imageId: server.image.id,
      userData: server.userData,
    });
    if (server.ipv4) server.ipv4.ip = ip;
  } catch (error) {
    state.servers.delete(server.id);
    throw error;
  }
}

async function powerVm(vm: VmBackend, id: number, command: PowerCommand): Promise<void> {
  if (command === 'poweroff' || command === 'shutdown' || command === 'reboot') await vm.powerOff(id);
  if (command === 'poweron' || command === 'reboot') await vm.powerOn(id);
}
