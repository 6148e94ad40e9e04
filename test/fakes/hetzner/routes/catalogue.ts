import { LOCATIONS, SERVER_TYPES, type LocationInfo, type ServerTypeInfo } from '../catalogue.js';
import { notFound } from '../errors.js';
import { renderLocation, renderServerType } from '../render.js';
import { idParam, json, listReply, type HandlerContext, type RouteDeps, type RouteTable } from './context.js';

/** The fixed catalogue: server types and locations, listable and filterable by name. */
export function catalogueRoutes(deps: RouteDeps): RouteTable {
  const byName = <T extends { name: string }>(ctx: HandlerContext, items: readonly T[]): T[] => {
    const name = ctx.query.get('name');
    return items.filter((i) => name === null || i.name === name);
  };
  const byId = <T extends { id: number }>(ctx: HandlerContext, items: readonly T[], kind: string): T => {
    const id = idParam(ctx, 'id', kind);
    const item = items.find((i) => i.id === id);
    if (item === undefined) throw notFound(kind, id);
    return item;
  };
  const typeKeys = { id: (t: ServerTypeInfo) => t.id, name: (t: ServerTypeInfo) => t.name };
  const locationKeys = { id: (l: LocationInfo) => l.id, name: (l: LocationInfo) => l.name };
  return [
    [
      'GET',
      '/server_types',
      (ctx) => listReply(ctx, deps, 'server_types', byName(ctx, SERVER_TYPES), renderServerType, typeKeys),
    ],
    [
      'GET',
      '/server_types/{id}',
      (ctx) => json(200, { server_type: renderServerType(byId(ctx, SERVER_TYPES, 'server_type')) }),
    ],
    [
      'GET',
      '/locations',
      (ctx) => listReply(ctx, deps, 'locations', byName(ctx, LOCATIONS), renderLocation, locationKeys),
    ],
    [
      'GET',
      '/locations/{id}',
      (ctx) => json(200, { location: renderLocation(byId(ctx, LOCATIONS, 'location')) }),
    ],
  ];
}
