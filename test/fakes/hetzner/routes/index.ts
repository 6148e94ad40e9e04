import { Router } from '../../http/index.js';
import { actionRoutes } from './actions.js';
import { catalogueRoutes } from './catalogue.js';
import type { Handler, RouteDeps } from './context.js';
import { firewallRoutes } from './firewalls.js';
import { imageRoutes } from './images.js';
import { serverRoutes } from './servers.js';
import { sshKeyRoutes } from './ssh-keys.js';

export function buildRouter(deps: RouteDeps): Router<Handler> {
  const router = new Router<Handler>();
  const tables = [serverRoutes, imageRoutes, catalogueRoutes, sshKeyRoutes, firewallRoutes, actionRoutes];
  for (const table of tables) {
    for (const [method, template, handler] of table(deps)) router.add(method, template, handler);
  }
  return router;
}
