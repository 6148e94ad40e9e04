import { renderImage } from '../render.js';
import type { ImageRecord } from '../state.js';
import { anyOf, idParam, json, labelFilter, listReply, type RouteDeps, type RouteTable } from './context.js';

const SORT_KEYS = {
  id: (i: ImageRecord) => i.id,
  name: (i: ImageRecord) => i.name ?? '',
  created: (i: ImageRecord) => Date.parse(i.created),
};

export function imageRoutes(deps: RouteDeps): RouteTable {
  const { state } = deps;
  return [
    [
      'GET',
      '/images',
      (ctx) => {
        const labels = labelFilter(ctx);
        const name = ctx.query.get('name');
        const type = anyOf(ctx, 'type');
        const status = anyOf(ctx, 'status');
        const architecture = anyOf(ctx, 'architecture');
        const boundTo = anyOf(ctx, 'bound_to');
        const images = [...state.images.values()].filter(
          (i) =>
            (name === null || i.name === name) &&
            labels(i.labels) &&
            type(i.type) &&
            status(i.status) &&
            architecture(i.architecture) &&
            boundTo(i.boundTo),
        );
        return listReply(ctx, deps, 'images', images, renderImage, SORT_KEYS);
      },
    ],
    [
      'GET',
      '/images/{id}',
      (ctx) => json(200, { image: renderImage(state.image(idParam(ctx, 'id', 'image'))) }),
    ],
    [
      'DELETE',
      '/images/{id}',
      async (ctx) => {
        const id = idParam(ctx, 'id', 'image');
        state.deleteImage(id);
        await deps.vm?.removeImage(id);
        return { status: 204 };
      },
    ],
  ];
}
