/** 14:05 UTC: times in chat are shown in UTC, since a team spans time zones. */
export const clockTime = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;

/** 45 s, 12 min, 3 h, 2 d */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** 7 m 12 s, 1 h 3 m, 45 s: for how long something lasted, to the second. */
export function preciseDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h} h ${m} m`;
  if (m > 0) return `${m} m ${rest} s`;
  return `${rest} s`;
}
