import { notFound } from '../errors.js';
import { renderAction, renderImage, renderServer } from '../render.js';
import type {
  CreateImageRequest,
  CreateServerRequest,
  PowerCommand,
  ServerRecord,
  UpdateServerRequest,
} from '../state.js';
import { toFakeServer } from '../views.js';
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
  const { state } = deps;
  const power = (command: PowerCommand): RouteTable[number] => [
    'POST',
    `/servers/{id}/actions/${command}`,
    (ctx) =>
      json(201, {
        action: renderAction(state.power(idParam(ctx, 'id', 'server'), command, ctx.now), ctx.now),
      }),
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
      (ctx) =>
        json(200, {
          action: renderAction(state.deleteServer(idParam(ctx, 'id', 'server'), ctx.now), ctx.now),
        }),
    ],
    power('poweroff'),
    power('poweron'),
    power('reboot'),
    power('shutdown'),
    [
      'POST',
      '/servers/{id}/actions/create_image',
      (ctx) => {
        const id = idParam(ctx, 'id', 'server');
        const { image, action } = state.createImage(id, body<CreateImageRequest>(ctx), ctx.now);
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
