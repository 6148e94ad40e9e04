import { Writable } from 'node:stream';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ndJsonStream, type Stream } from '@agentclientprotocol/sdk';
import type { AgentProcess } from '../../core/fleet/provider.js';
import { quote } from '../limits.js';

/** One JSON-RPC message from an agent; a longer line is a flood, not a message. */
export const maxLineChars = 4 * 1024 * 1024;

export type StdioTap = {
  /** Any line from the agent: it is alive. */
  heard(): void;
  /**
   * A `session/update`'s params. They are taken off the wire before the SDK sees them: its schema
   * drops a whole notification it does not know (a newer adapter's kind or field) without telling
   * the client, and fleetbot must report what it skipped.
   */
  update(params: unknown): void;
  /** The agent wrote something that is not JSON-RPC (or flooded a line); the wire is unusable. */
  broken(reason: string): void;
};

class LineTooLong extends Error {}

async function* linesOf(input: Readable): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of input) {
    let searchFrom = pending.length;
    pending += decoder.write(chunk as Buffer);
    for (let nl = pending.indexOf('\n', searchFrom); nl >= 0; nl = pending.indexOf('\n', searchFrom)) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      searchFrom = 0;
    }
    if (pending.length > maxLineChars) throw new LineTooLong();
  }
  pending += decoder.end();
  if (pending.trim()) yield pending;
}

const isUpdate = (message: unknown): message is { params: unknown } =>
  typeof message === 'object' &&
  message !== null &&
  (message as { method?: unknown }).method === 'session/update' &&
  !('id' in message);

/**
 * The SDK's stream over an agent's stdio, with a tap on what comes in: each line is checked to be
 * JSON before the SDK reads it (the SDK answers a bad line with a parse error and reads on, which
 * would leave a turn waiting forever), and session updates go to the tap instead of the SDK.
 */
export function acpStdio(proc: AgentProcess, tap: StdioTap): Stream {
  // A write to an agent that just exited fails; its end is reported through proc.ended.
  proc.stdin.on('error', () => undefined);
  const encoder = new TextEncoder();
  const lines = linesOf(proc.stdout);
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let next: IteratorResult<string>;
        try {
          next = await lines.next();
        } catch (err) {
          tap.broken(
            err instanceof LineTooLong
              ? `the agent wrote a line of more than ${maxLineChars / 1024 / 1024} MiB, which is no message fleetbot reads`
              : `reading the agent's output failed (${quote(String(err))})`,
          );
          controller.close();
          return;
        }
        if (next.done) {
          controller.close();
          return;
        }
        tap.heard();
        const line = next.value.trim();
        if (!line) continue;
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          tap.broken(`the agent wrote a line that is not JSON-RPC: "${quote(line, 80)}"`);
          controller.close();
          return;
        }
        if (isUpdate(message)) {
          tap.update(message.params);
          continue;
        }
        controller.enqueue(encoder.encode(`${line}\n`));
        return;
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return ndJsonStream(Writable.toWeb(proc.stdin) as WritableStream<Uint8Array>, input);
}
