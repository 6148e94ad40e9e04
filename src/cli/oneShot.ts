import { PassThrough, Writable } from 'node:stream';
import { createConsoleBridge } from '../bridges/console/index.js';
import type { Config } from '../config/index.js';
import { plainText } from '../core/chat/outbound.js';
import type { Logger } from '../core/runtime/logging.js';
import type { Bridge, Inbound, InboundHandler, Outbound } from '../core/chat/types.js';
import { createFleetbot } from '../main.js';

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
 * `fleetbot deploy swe alice [--yes] [--json]`: one command through the same router as chat, as the
 * console user (admin). Prints the cards as the console does, or with --json one JSON document with
 * every job the command started and how it ended. Exit code 0 only if all those jobs succeeded.
 */
export async function runOneShot(config: Config, log: Logger, argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const yes = argv.includes('--yes');
  const words = argv.filter((a) => a !== '--json' && a !== '--yes');
  const input = new PassThrough();
  const texts = new Map<string, string>();
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const consoleBridge = createConsoleBridge({ input, output: json ? sink : process.stdout, tty: false });
  const bridge = autoApproving(
    {
      ...consoleBridge,
      send: async (chat, message) => {
        const ref = await consoleBridge.send(chat, message);
        texts.set(ref.messageId, plainText(message));
        return ref;
      },
      edit: async (ref, message) => {
        texts.set(ref.messageId, plainText(message));
        return consoleBridge.edit(ref, message);
      },
    },
    yes,
  );
  const bot = await createFleetbot(
    { ...config, bridges: { ...config.bridges, console: { mode: 'on' } } },
    { bridges: [bridge], log },
  );
  const firstJob = (bot.store.jobs.recent(1)[0]?.id ?? 0) + 1;
  input.end(`/${words.join(' ')}\n`);
  await consoleBridge.inputClosed;
  // A press can start a job, and a job's card can ask for another press: wait until both are quiet.
  for (let seen = -1; seen !== bridge.presses.length;) {
    seen = bridge.presses.length;
    await Promise.all(bridge.presses);
    await bot.idle();
  }
  const jobs = bot.store.jobs
    .recent(100)
    .filter((j) => j.id >= firstJob)
    .reverse();
  const report = {
    ok: jobs.every((j) => j.status === 'succeeded'),
    command: `/${words.join(' ')}`,
    jobs: jobs.map((j) => {
      const agent = j.agentId === null ? undefined : bot.store.agents.byId(j.agentId);
      return {
        id: j.id,
        kind: j.kind,
        subject: j.subject,
        status: j.status,
        error: j.error,
        durationMs: j.startedAt !== null && j.finishedAt !== null ? j.finishedAt - j.startedAt : null,
        steps: bot.store.steps
          .forJob(j.id)
          .map((s) => ({ key: s.key, title: s.title, status: s.status, error: s.error })),
        ...(agent
          ? {
              agent: {
                name: agent.name,
                role: agent.role,
                provider: agent.provider,
                status: agent.status,
                url: agent.url,
              },
            }
          : {}),
      };
    }),
    messages: [...texts.values()],
  };
  await bot.stop();
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}
