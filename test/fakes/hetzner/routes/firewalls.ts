import { notFound } from '../errors.js';
import { renderAction, renderFirewall } from '../render.js';
import type { CreateFirewallRequest, FirewallRecord } from '../state.js';
import { body, idParam, json, labelFilter, listReply, type RouteDeps, type RouteTable } from './context.js';

const SORT_KEYS = {
  id: (f: FirewallRecord) => f.id,
  name: (f: FirewallRecord) => f.name,
  created: (f: FirewallRecord) => Date.parse(f.created),
};

export function firewallRoutes(deps: RouteDeps): RouteTable {
  const { state } = deps;
  const render = (f: FirewallRecord): unknown => renderFirewall(f, state.servers.values());
  return [
    [
      'GET',
      '/firewalls',
      (ctx) => {
        const labels = labelFilter(ctx);
        const name = ctx.query.get('name');
        const firewalls = [...state.firewalls.values()].filter(
          (f) => (name === null || f.name === name) && labels(f.labels),
        );
        return listReply(ctx, deps, 'firewalls', firewalls, render, SORT_KEYS);
      },
    ],
    [
      'POST',
      '/firewalls',
      (ctx) => {
        const { firewall, actions } = state.createFirewall(body<CreateFirewallRequest>(ctx), ctx.now);
        return json(201, {
          firewall: render(firewall),
          actions: actions.map((a) => renderAction(a, ctx.now)),
        });
      },
    ],
    [
      'GET',
      '/firewalls/{id}',
      (ctx) => {
        const id = idParam(ctx, 'id', 'firewall');
        const firewall = state.firewalls.get(id);
        if (firewall === undefined) throw notFound('firewall', id);
        return json(200, { firewall: render(firewall) });
      },
    ],
  ];
}
