import { z } from 'zod';
import { defineCommand } from '../core/router/command.js';
import { bold, code, message } from '../core/chat/outbound.js';

export const roles = defineCommand({
  name: 'roles',
  summary: 'List the roles an agent can be deployed as',
  usage: '/roles',
  permission: 'viewer',
  scope: 'agents:read',
  positional: [],
  args: z.object({}).strict(),
  run: async (ctx) =>
    message(bold('Roles'), ...ctx.services.fleet.roles().map((r) => [code(r.name), ` ${r.description}`]), [
      'Deploy one with ',
      code('/deploy <role> <name>'),
      '.',
    ]),
});
