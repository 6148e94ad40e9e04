import { buttonsOf, readable, shownText, type Block, type ButtonElement } from './blocks.js';

export type Version = { text: string; blocks: Block[]; at: number };

/** A message the bot posted, with every version it has had, oldest first. */
export type FakeMessage = {
  channel: string;
  ts: string;
  threadTs?: string;
  history: Version[];
  /** A streamed answer (chat.startStream): its text is markdown; `streaming` until chat.stopStream. */
  stream?: { streaming: boolean; recipient?: string };
  /** What a person sees now. */
  readonly shown: string;
  readonly buttons: ButtonElement[];
};

/** A file uploaded through files.getUploadURLExternal, its bytes, and where it was shared. */
export type FakeFile = {
  id: string;
  filename: string;
  length: number;
  content?: string;
  title?: string;
  channel?: string;
  threadTs?: string;
};

export type Ephemeral = { channel: string; user: string; text: string; shown: string; at: number };
export type Violation = { method: string; problem: string };
export type CallRecord = {
  method: string;
  args: Record<string, unknown>;
  status: number;
  error?: string;
  at: number;
};
export type Injected = { status: 429; retryAfter: number } | { error: string };

export class SlackState {
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: Ephemeral[] = [];
  readonly files: FakeFile[] = [];
  readonly calls: CallRecord[] = [];
  readonly violations: Violation[] = [];
  /** Channels the bot is not a member of: posting there fails with not_in_channel. */
  readonly outside = new Set<string>();
  private readonly injected = new Map<string, Injected[]>();
  private seq = 0;

  nextTs(): string {
    this.seq += 1;
    return `${1767225600 + this.seq}.${String(this.seq).padStart(6, '0')}`;
  }

  inject(method: string, failure: Injected, times: number): void {
    const queue = this.injected.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.injected.set(method, queue);
  }

  takeInjected(method: string): Injected | undefined {
    return this.injected.get(method)?.shift();
  }

  post(channel: string, version: Version, threadTs?: string, stream?: FakeMessage['stream']): FakeMessage {
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      ...(threadTs ? { threadTs } : {}),
      ...(stream ? { stream } : {}),
      history: [version],
      get shown() {
        const { blocks, text } = this.history.at(-1)!;
        return shownText(blocks) || (this.stream && blocks.length === 0 ? readable(text) : text);
      },
      get buttons() {
        return buttonsOf(this.history.at(-1)!.blocks);
      },
    };
    this.messages.push(message);
    return message;
  }

  find(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }
}
