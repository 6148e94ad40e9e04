import type { AnyPrompt } from '../core/prompts/definePrompt.js';
import { alertPrompt } from './alert.js';
import { destroyPrompt } from './destroy.js';
import { orphanPrompt } from './orphan.js';
import { permissionPrompt } from './permission.js';
import { stopPrompt } from './stop.js';

export { alertPrompt, destroyPrompt, orphanPrompt, permissionPrompt, stopPrompt };

/** Every button card; a press finds its card here by the kind stored with the prompt. */
export const prompts: AnyPrompt[] = [destroyPrompt, alertPrompt, orphanPrompt, permissionPrompt, stopPrompt];
