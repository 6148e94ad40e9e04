import { invalidInput, notFound } from '../errors.js';
import { renderAction } from '../render.js';
import type { ActionRecord } from '../actions.js';
import { idParam, json, type RouteDeps, type RouteTable } from './context.js';

/** Polling endpoints. Listing every action was removed from the API, so `GET /actions` needs `id`s. */
export function actionRoutes({ state }: RouteDeps): RouteTable {
  return [
    [
      'GET',
      '/actions',
      (ctx) => {
        const ids = ctx.query.getAll('id');
        if (ids.length === 0) {
          ctx.violation('GET /actions without id= (listing all actions was removed in January 2025)');
          throw invalidInput('id', 'id is required');
        }
        const actions = ids
          .map((id) => (/^\d+$/.test(id) ? state.actions.get(Number(id)) : undefined))
          .filter((a): a is ActionRecord => a !== undefined);
        return json(200, { actions: actions.map((a) => renderAction(a, ctx.now)) });
      },
    ],
    [
      'GET',
      '/actions/{id}',
      (ctx) => {
        const id = idParam(ctx, 'id', 'action');
        const action = state.actions.get(id);
        if (action === undefined) throw notFound('action', id);
        return json(200, { action: renderAction(action, ctx.now) });
      },
    ],
  ];
}
