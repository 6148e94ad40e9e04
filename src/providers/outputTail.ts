/**
 * The end of what a process writes to one of its streams (its stderr), for the card when a turn
 * fails. What a conversation runs is the agent's own code and may flood: only the last `maxBytes` are
 * ever held, and `text()` gives the last `maxLines` whole lines of them.
 */
export function outputTail(opts: { maxBytes: number; maxLines: number }) {
  let kept = Buffer.alloc(0);
  let cut = false;
  return {
    push(chunk: Buffer): void {
      kept = Buffer.concat([kept, chunk]);
      if (kept.length > opts.maxBytes) {
        kept = kept.subarray(kept.length - opts.maxBytes);
        cut = true;
      }
    },
    text(): string {
      const lines = kept.toString('utf8').split('\n');
      // The first line of a cut buffer is probably cut too.
      if (cut) lines.shift();
      while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
      return lines.slice(-opts.maxLines).join('\n');
    },
  };
}

/** What a conversation's process keeps of its stderr. */
export const stderrTailLimits = { maxBytes: 16 * 1024, maxLines: 20 };
