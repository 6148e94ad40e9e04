/** The error a job paused for a restart is recorded with; recovery takes such jobs up again. */
export const pausedForRestart = 'paused while fleetbot restarts; it carries on when fleetbot is back';
