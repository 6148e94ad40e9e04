/** One Server-Sent Event as a client reads it. */
export type SseEvent = { id?: string; event: string; data: unknown };

/** Splits an event stream's text into its events (comments, such as heartbeats, are skipped). */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.split('\n').some((line) => line !== '' && !line.startsWith(':')))
    .map((block) => {
      const fields = new Map<string, string>();
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^ /, ''));
      }
      const id = fields.get('id');
      return {
        ...(id === undefined ? {} : { id }),
        event: fields.get('event') ?? 'message',
        data: JSON.parse(fields.get('data') ?? 'null') as unknown,
      };
    });
}
