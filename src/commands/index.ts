import type { CommandSpec } from '../core/router/command.js';
import { allow, revoke } from './allow.js';
import { alerts } from './alerts.js';
import { ask } from './ask.js';
import { audit } from './audit.js';
import { cancel } from './cancel.js';
import { chat } from './chat.js';
import { deploy } from './deploy.js';
import { destroy } from './destroy.js';
import { makeHelp } from './help.js';
import { image } from './image.js';
import { jobs } from './jobs.js';
import { keys } from './keys.js';
import { list } from './list.js';
import { logs } from './logs.js';
import { pair } from './pair.js';
import { restart } from './restart.js';
import { roles } from './roles.js';
import { status } from './status.js';
import { stop } from './stop.js';
import { users } from './users.js';
import { whoami } from './whoami.js';

/** Every command, in the order /help and the platforms' command menus show them. */
export const commands: CommandSpec[] = [
  deploy,
  list,
  status,
  logs,
  restart,
  destroy,
  ask,
  chat,
  stop,
  jobs,
  cancel,
  roles,
  image,
  whoami,
  alerts,
  allow,
  revoke,
  users,
  keys,
  audit,
  pair,
  makeHelp(() => commands),
];
