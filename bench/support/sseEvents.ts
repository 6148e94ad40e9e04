import type { Dispatcher } from 'undici';

export type SseEvent = { id?: string; event: string; data: unknown; receivedAt: number };

/**
 * Reads a Server-Sent Events body as it arrives, stamping each event with the moment its last line
 * came in, until the stream ends.
 */
export async function* sseEvents(body: Dispatcher.ResponseData['body']): AsyncGenerator<SseEvent> {
  let buffer = '';
  for await (const chunk of body) {
    const receivedAt = Date.now();
    buffer += (chunk as Buffer).toString('utf8');
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = new Map<string, string>();
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
      }
      const data = fields.get('data');
      if (data === undefined) continue;
      yield {
        ...(fields.has('id') ? { id: fields.get('id') } : {}),
        event: fields.get('event') ?? 'message',
        data: JSON.parse(data) as unknown,
        receivedAt,
      };
    }
  }
}
