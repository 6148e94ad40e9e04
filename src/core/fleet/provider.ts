import type { Duplex, Readable, Writable } from 'node:stream';
import type { Plan } from '../jobs/plan.js';
import type { Role } from './roles.js';
import type { Agent } from '../store/agents.js';

export type AgentHealth = {
  state: 'healthy' | 'unhealthy' | 'stopped';
  /** What a person should know: the error, or the agent's own status text. */
  detail: string;
  latencyMs?: number;
  uptimeSeconds?: number;
  /**
   * Where the agent runs now, where its provider may move it (a Swarm node: "node w1 (10.0.0.5)"); the
   * monitor tells the agent's followers when it changes.
   */
  placement?: string;
};

/**
 * Per-deploy choices a person may make, by the name of the /deploy flag that set them. Each provider
 * declares its flags and their schemas; the command checked every value against them.
 */
export type DeployOptions = Readonly<Record<string, string>>;

export type DeployRequest = {
  agent: Agent;
  role: Role;
  secrets: Record<string, string>;
  options: DeployOptions;
  /** The provider's other live agents, for choices that must not collide (a port on a shared host). */
  neighbours: Agent[];
};

/** A golden image a provider built for a role. */
export type ImageInfo = {
  id: string;
  role: string;
  version: string;
  status: string;
  createdAt: string;
  description: string;
};

/** Providers that run agents from images they build (`/image build`) build them and list them. */
export interface ImageBuilder {
  buildPlan(role: Role): Plan;
  list(): Promise<ImageInfo[]>;
}

/**
 * A process started for a conversation (an ACP agent over stdio), inside the agent's own walls: its
 * folder, its Unix user or sandbox, its env and secrets, and a HOME of its own in its folder.
 */
export type AgentProcess = {
  /** The folder it runs in, as the agent sees it (an absolute path; ACP's session `cwd`). */
  readonly cwd: string;
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** The last lines it wrote to stderr (capped), for the card when a turn fails. */
  stderrTail(): string;
  /** Resolves with why it ended ("exited with code 1", "killed by SIGKILL"), once it has. */
  readonly ended: Promise<string>;
  kill(): void;
};

/** The ways into a running agent that conversations use; never its public URL. */
export type AgentChannels = {
  /** Starts argv (the role's resolved `chat.command`) in the agent's folder as the agent. */
  spawn(argv: string[]): Promise<AgentProcess>;
  /**
   * A byte stream to a port on the agent's own loopback (an SSH forwardOut on machines). The role's
   * `agent.port` means the port this agent really listens on, which its provider may have chosen (a
   * free one for local agents, the next free one on a shared ssh host).
   */
  connect(port: number): Promise<Duplex>;
};

/** Something a provider found that fleetbot made (labelled, or in its folder), for reconciliation. */
export type Found = {
  /** Unique within the provider, e.g. "server 4711" or a folder path. */
  id: string;
  /** What a person reads: "server fleetbot-alice (4711) in nbg1". */
  description: string;
  createdAt: number;
  /** The agent it belongs to, when a live agent's record names it. */
  agentId?: number;
  /** How to take it back under management (Adopt), when what was found says whose it was. */
  adoptAs?: Adoption;
};

/** Whose a found resource was, from its labels: the agent record it gets when adopted. */
export type Adoption = { name: string; role: string };

/**
 * Where agents run. A provider turns requests into plans (steps with undo) and answers questions about
 * agents it runs. Step outputs are merged into the agent's stored resources; an output named `url` is
 * the agent's address.
 */
export interface Provider {
  readonly name: string;
  /**
   * Checks a deploy before anything is created (e.g. that a server type exists where asked), throwing
   * a UserError that says what to change, with a "did you mean" where it can.
   */
  prepare?(req: { role: Role; options: DeployOptions }): Promise<void>;
  deployPlan(req: DeployRequest): Plan;
  restartPlan(agent: Agent, role: Role | undefined): Plan;
  destroyPlan(agent: Agent): Plan;
  status(agent: Agent): Promise<AgentHealth>;
  /** Where the monitor checks the agent (its public HTTPS URL for cloud agents); defaults to url + /health. */
  healthUrl?(agent: Agent): string | undefined;
  /**
   * The monitor's frequent check of an agent's daemon, where an HTTP check of `healthUrl` is not
   * enough (the local provider also tells its agent from a stranger holding the port). Cheap: it
   * runs every health interval.
   */
  check?(agent: Agent, timeoutMs: number): Promise<AgentHealth>;
  logs(agent: Agent, lines: number): Promise<string[]>;
  /**
   * What exists that fleetbot made, matched against the given agents' records: resources no record
   * names (orphans) and agents whose resources are gone (lost).
   */
  inventory?(agents: Agent[]): Promise<{ found: Found[]; lost: { agent: Agent; detail: string }[] }>;
  /** Removes an orphan the inventory reported. */
  removeFound?(found: Found): Promise<void>;
  /** What an adopted orphan's record holds (its id, address, DNS record), looked up when an admin adopts it. */
  adoptFound?(found: Found): Promise<Record<string, unknown>>;
  /** After a restart of fleetbot: which stored agents are still running, found by their records. */
  findRunning(agents: Agent[]): Promise<{ agent: Agent; running: boolean; detail: string }[]>;
  readonly images?: ImageBuilder;
  /** How conversations reach this agent (`/ask`); absent where the provider cannot reach inside. */
  channels?(agent: Agent, role: Role): AgentChannels;
}
