import type { Api } from 'grammy';

/** grammY types its signals with a polyfill's AbortSignal; Node's own is what it receives at run time. */
export type GrammySignal = Parameters<Api['getMe']>[0];

export const grammySignal = (signal: AbortSignal): GrammySignal => signal as unknown as GrammySignal;
