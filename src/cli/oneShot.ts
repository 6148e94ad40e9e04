import { PassThrough, Writable } from 'node:stream';
import { createConsoleBridge } from '../bridges/console/index.js';
import { commands } from '../commands/index.js';
import type { Config } from '../config/index.js';
import { plainText } from '../core/chat/outbound.js';
import type { Logger } from '../core/runtime/logging.js';
import type { Bridge, ChatRef, Inbound, InboundHandler, Outbound } from '../core/chat/types.js';
import type { CommandResult } from '../core/router/command.js';
import { jobAccepted } from '../core/jobs/accepted.js';
import { RolesError } from '../core/fleet/roles.js';
import { createFleetbot, type Fleetbot } from '../main.js';
import { callOfWords } from './commandWords.js';
import { exitCodeOf, problemOutcome, type CliOutcome } from './outcome.js';

const consoleChat: ChatRef = { platform: 'console', chatId: 'local' };

/** The approving button of a card: the dangerous one if any (Approve destroy), else the first. */
const approveButton = (out: Outbound) =>
  out.buttons?.flat().find((b) => b.style === 'danger') ?? out.buttons?.[0]?.[0];

/**
 * The console bridge, but with `--yes` every card that asks for a decision is approved at once, as if
 * the person at the console had pressed the button.
 */
function autoApproving(inner: Bridge, approve: boolean): Bridge & { presses: Promise<unknown>[] } {
  let deliver: InboundHandler | undefined;
  const presses: Promise<unknown>[] = [];
  return {
    presses,
    platform: inner.platform,
    limits: inner.limits,
    start(d, host) {
      deliver = d;
      return inner.start(d, host);
    },
    async send(chat, message) {
      const ref = await inner.send(chat, message);
      const button = approve ? approveButton(message) : undefined;
      if (button && deliver) {
        const press: Inbound = {
          kind: 'action',
          chat,
          user: { platform: 'console', userId: 'local' },
          direct: true,
          message: ref,
          actionId: button.id,
          at: new Date(),
        };
        presses.push(new Promise((resolve) => setImmediate(() => resolve(deliver?.(press)))));
      }
      return ref;
    },
    edit: (ref, message) => inner.edit(ref, message),
    stop: () => inner.stop(),
  };
}

/**
 * The stream a command's result leads to: its own (a deploy's job), or, for a request approved on
 * the spot (`destroy --yes`), the job the approving press started. Undefined while it still waits.
 */
function streamOf(
  bot: Fleetbot,
  result: CommandResult,
  lastJobBefore: number,
): CommandResult['events'] | undefined {
  if (result.accepted) return result.events;
  if (!result.pending) return undefined;
  const approval = (result.record as { approval?: { id?: unknown } }).approval;
  const card = typeof approval?.id === 'string' ? bot.store.prompts.byId(approval.id) : undefined;
  if (!card?.decision || card.decision !== card.approveChoice) return undefined;
  // One command runs in this process: the job after the ones that were there is the one it started.
  const started = bot.store.jobs.recent(1)[0];
  return started && started.id > lastJobBefore ? jobAccepted(bot, started.id).events : undefined;
}

/** Follows a job's (or an answer's) events to their end: its final record and whether it succeeded. */
async function finalOf(events: NonNullable<CommandResult['events']>): Promise<CliOutcome | undefined> {
  for await (const event of events(undefined, new AbortController().signal)) {
    if (event.event !== 'end') continue;
    const data = event.data as { status?: unknown; id?: unknown };
    const ok = data.status === 'succeeded' || data.status === 'answered';
    return { status: ok ? 'ok' : 'failed', record: typeof data.id === 'number' ? { job: data } : data };
  }
  return undefined;
}

/** What a command that ran hands back: its record, or what it said when it has none. */
function recordOutcome(result: CommandResult | undefined, text: readonly Outbound[]): CliOutcome {
  if (result?.pending) return { status: 'pending_approval', record: result.record };
  if (result) return { status: 'ok', record: result.record };
  return { status: 'ok', record: null, text: text.map(plainText).join('\n\n') };
}

/** The whole text of an agent's answer, when the record is one (`{status, text}` from an ask). */
const answerText = (record: unknown): string | undefined =>
  record && typeof record === 'object' && 'text' in record && typeof record.text === 'string'
    ? record.text
    : undefined;

/**
 * Prints how the command ended: one JSON document; or, as chat text is already out, an agent's answer
 * (`fleetbot ask` gets it as events, not as console text) on stdout and a problem on stderr.
 */
export function printOutcome(outcome: CliOutcome, json: boolean): number {
  const answer = answerText(outcome.record);
  if (json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else if (answer !== undefined) process.stdout.write(`${answer}\n`);
  if (!json && outcome.problem) process.stderr.write(`fleetbot: ${outcome.problem.detail}\n`);
  else if (!json && outcome.status === 'pending_approval')
    process.stderr.write(
      'fleetbot: nothing was done yet: the request waits for approval (--yes approves it here).\n',
    );
  return exitCodeOf(outcome);
}

/**
 * `fleetbot deploy swe alice [--yes] [--json]`: one command called through `Router.call` as the console
 * admin, its words read by the chat's own command-line parser. Without --json the cards and replies
 * print as the console shows them; with it, one JSON document (`CliOutcome`) with the command's record,
 * and for a job it started the job's final record. The exit code tells scripts how it ended
 * (`cliStatuses`): a pending approval is not success.
 */
export async function runOneShot(config: Config, log: Logger, argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const yes = argv.includes('--yes');
  const call = callOfWords(
    argv.filter((a) => a !== '--json' && a !== '--yes'),
    commands,
  );
  if (!call.ok) {
    const kind = call.status === 'unknown_command' ? 'not_found' : 'invalid';
    return printOutcome(problemOutcome(kind, call.detail, call.status), json);
  }
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const consoleBridge = createConsoleBridge({
    input: new PassThrough(),
    output: json ? sink : process.stdout,
    tty: false,
  });
  const bridge = autoApproving(consoleBridge, yes);
  let bot: Fleetbot;
  try {
    bot = await createFleetbot(
      { ...config, bridges: { ...config.bridges, console: { mode: 'on' } } },
      { bridges: [bridge], log },
    );
  } catch (err) {
    if (!(err instanceof RolesError)) throw err;
    return printOutcome(problemOutcome('invalid', err.message, 'misconfigured'), json);
  }
  try {
    const lastJobBefore = bot.store.jobs.recent(1)[0]?.id ?? 0;
    const called = await bot.router.call({
      who: { console: true },
      command: call.spec.name,
      args: call.args,
    });
    if (!called.ok) {
      const detail =
        called.problem === 'invalid' ? `${called.detail} Usage: ${call.spec.usage}` : called.detail;
      return printOutcome(problemOutcome(called.problem, detail), json);
    }
    for (const said of called.text) await bridge.send(consoleChat, said);
    // A press can start a job, and a job's card can ask for another press: wait until both are quiet.
    for (let seen = -1; seen !== bridge.presses.length;) {
      seen = bridge.presses.length;
      await Promise.all(bridge.presses);
      await bot.idle();
    }
    const events = called.result && streamOf(bot, called.result, lastJobBefore);
    const outcome = (events && (await finalOf(events))) ?? recordOutcome(called.result, called.text);
    return printOutcome(outcome, json);
  } finally {
    await bot.stop();
  }
}
