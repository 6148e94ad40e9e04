import { z } from 'zod';
import { stripControls } from '../../core/chat/text.js';
import { UserError } from '../../core/runtime/errors.js';
import { EngineError, type Engine } from './engine.js';

// POST /build with a tar context, its progress read as it comes: the Engine answers 200 at once and
// then streams JSON lines, so a build that fails says so in the stream, not in the status.

/** One line of the classic builder's progress: its output, a pull's status, the image made, or why it stopped. */
const progressLine = z.object({
  stream: z.string().optional(),
  status: z.string().optional(),
  aux: z.object({ ID: z.string().optional() }).optional(),
  error: z.string().optional(),
  errorDetail: z.object({ message: z.string().optional() }).optional(),
});

/** A progress line longer than this is not the Engine's: the build is stopped rather than buffered. */
const maxLineBytes = 256 * 1024;
/** How much of the Engine's and the build's words a failure carries to a card. */
const maxWords = 300;
const tailLines = 5;
const maxTailLine = 160;

/**
 * Terminal sequences: the colours a step's stderr comes wrapped in (ESC [91m … ESC [0m) and a title
 * a step may set (ESC ] … BEL), dropped whole rather than leaving their text once ESC is stripped.
 */
// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;

const clean = (text: string, max: number): string => {
  const flat = stripControls(text.replace(ansi, '')).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

export type BuildRequest = {
  /** The build context: a tar holding the Dockerfile and what it copies. */
  context: Buffer;
  tag: string;
  labels: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** What to do when the build stops at the Dockerfile instruction given (FROM, RUN…), or before any. */
  advice(instruction: string | undefined): string;
};

/**
 * Follows the build's output: the Dockerfile step it is at ("Step 3/6 : RUN …") and that step's
 * last lines, so a failure names the step and shows what it printed.
 */
function progress() {
  let step: string | undefined;
  let lines: string[] = [];
  let partial = '';
  return {
    output(text: string): void {
      // A carriage return ends a line too (progress bars redraw one); a line that never ends is cut.
      const all = (partial + text).split(/\r\n?|\n/);
      partial = all.pop() ?? '';
      if (partial.length > maxTailLine * 4) {
        all.push(partial);
        partial = '';
      }
      for (const line of all) {
        if (/^Step \d+\/\d+ : /.test(line)) {
          step = line;
          lines = [];
        } else {
          const words = clean(line, maxTailLine);
          if (words !== '' && !/^---> |^Removing intermediate container /.test(words))
            lines = [...lines.slice(1 - tailLines), words];
        }
      }
      // A step's title comes without its line break: it is one when the next output starts.
      if (/^Step \d+\/\d+ : /.test(partial)) {
        step = partial;
        lines = [];
        partial = '';
      }
    },
    get step() {
      return step;
    },
    get tail() {
      return lines;
    },
  };
}

/**
 * Builds `tag` from the context with the classic builder, intermediate containers removed even when a
 * step fails; resolves with the image's id. A failure is a UserError with the failing step, the
 * Engine's words and the step's last output (control characters stripped, capped), then the advice.
 */
export async function buildImage(engine: Engine, req: BuildRequest): Promise<string> {
  const seen = progress();
  let imageId: string | undefined;
  let buffered = Buffer.alloc(0);
  const what = `building ${req.tag}`;
  const instruction = (): string | undefined => /^Step \d+\/\d+ : (\w+)/.exec(seen.step ?? '')?.[1];
  const fail = (words: string): never => {
    const at = seen.step ? ` at "${clean(seen.step, 80)}"` : '';
    const tail = seen.tail.length > 0 ? ` Its last output: ${seen.tail.join(' | ')}.` : '';
    // The Engine repeats a failed RUN's whole command, which the step already names.
    const said = words.replace(/^The command '[\s\S]*' returned /, 'The command returned ');
    throw new UserError(
      `The build of ${req.tag} stopped${at}: ${clean(said, maxWords)}.${tail} ${req.advice(instruction())}`,
    );
  };
  const read = (line: string): void => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      fail(`the Engine sent a progress line that is not JSON (${clean(line, 80)})`);
    }
    const parsed = progressLine.safeParse(json);
    if (!parsed.success) return fail(`the Engine sent a progress line fleetbot does not understand`);
    const p = parsed.data;
    if (p.error !== undefined || p.errorDetail?.message !== undefined)
      fail(p.errorDetail?.message ?? p.error ?? 'no reason given');
    if (p.stream !== undefined) seen.output(p.stream);
    if (p.status !== undefined) seen.output(`${p.status}\n`);
    if (p.aux?.ID !== undefined) imageId = p.aux.ID;
  };

  try {
    for await (const chunk of engine.stream('POST', '/build', {
      what,
      query: {
        t: req.tag,
        labels: JSON.stringify(req.labels),
        rm: true,
        forcerm: true,
      },
      raw: { body: req.context, contentType: 'application/x-tar' },
      timeoutMs: req.timeoutMs,
      signal: req.signal,
    })) {
      buffered = Buffer.concat([buffered, chunk]);
      let end: number;
      while ((end = buffered.indexOf(0x0a)) >= 0) {
        read(buffered.subarray(0, end).toString('utf8'));
        buffered = buffered.subarray(end + 1);
      }
      if (buffered.length > maxLineBytes) fail(`the Engine sent a progress line over ${maxLineBytes} bytes`);
    }
  } catch (err) {
    // Refused before the build began (a context it cannot read): the Engine's words and the advice.
    if (err instanceof EngineError) fail(err.message);
    throw err;
  }
  read(buffered.toString('utf8'));
  if (!imageId) return fail('the Engine ended the build without naming an image');
  return imageId;
}
