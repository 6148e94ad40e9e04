import { z } from 'zod';
import { agentNameSchema } from '../fleet/agentName.js';
import { agentStatuses } from '../fleet/agentFilter.js';
import { agentRecordSchema, approvalRecordSchema, jobRecordSchema, logsRecordSchema } from './records.js';

/**
 * What programs can do, one row each: the HTTP API's routes and OpenAPI document and the MCP
 * server's tools are both made from this table, and each row calls one chat command through the
 * router (`Router.call`), so a program is checked, limited, audited and asked for approval exactly
 * as a person typing the command would be. `input` is what the program sends (path parameters,
 * query and body together for HTTP; the tool's arguments for MCP); `toArgs` turns it into the
 * command's own arguments, which the command's schema then checks.
 */
export type Operation = {
  /** The MCP tool's name and the OpenAPI operationId. */
  name: string;
  summary: string;
  command: string;
  input: z.ZodObject;
  toArgs(input: Record<string, unknown>): Record<string, unknown>;
  /**
   * The record in a successful answer (an object, as MCP wants a tool's structured content); for a
   * stream (`http.sse`), the data of its last event, `end`.
   */
  output: z.ZodObject;
  /** Where the HTTP API serves it; absent for tools only MCP has. */
  http?: {
    method: 'GET' | 'POST' | 'DELETE';
    /** OpenAPI style: `/v1/agents/{name}`; each `{param}` is a field of `input`. */
    path: string;
    /** 202 where the command only starts something (a job, an approval, an answer). */
    status: 200 | 202;
    /** Answered as Server-Sent Events from the command's `events` instead of one JSON record. */
    sse?: boolean;
  };
  /** What the tool may do, for MCP clients deciding whether to ask their user first. */
  hints: { readOnly: boolean; destructive: boolean; idempotent: boolean };
  /** MCP waits for the command's `events` to end (a job, an answer), reporting progress on the way. */
  waits?: boolean;
  /** `input.conversation`, when given, names the key's own conversation (`ApiCall.conversation`). */
  conversation?: boolean;
};

const name = agentNameSchema.describe('The agent’s name, e.g. carol');
const job = z.number().int().min(1).describe('The job’s number, as deploys and restarts return it');
const read = { readOnly: true, destructive: false, idempotent: true };

const agentOut = z.object({ agent: agentRecordSchema });
const jobOut = z.object({ job: jobRecordSchema });

const same = (input: Record<string, unknown>) => input;

export const operations: readonly Operation[] = [
  {
    name: 'list_agents',
    summary: 'List the agents (with all, destroyed and failed ones too)',
    command: 'list',
    input: z
      .object({
        all: z.boolean().optional().describe('Include destroyed and failed agents'),
        role: z.string().max(64).optional().describe('Only agents of this role, e.g. swe'),
        owner: z
          .string()
          .max(80)
          .optional()
          .describe('Only agents this principal owns (telegram:123), or me'),
        provider: z.string().max(32).optional().describe('Only agents on this provider, e.g. local'),
        status: z.enum(agentStatuses).optional().describe('Only agents in this state'),
        since: z
          .string()
          .max(32)
          .optional()
          .describe('Created on or after this UTC day (2026-12-01), or within this long (7d)'),
        until: z
          .string()
          .max(32)
          .optional()
          .describe('Created on or before this UTC day (2026-12-01), or longer ago than this (7d)'),
      })
      .strict(),
    toArgs: same,
    output: z.object({ agents: z.array(agentRecordSchema) }),
    http: { method: 'GET', path: '/v1/agents', status: 200 },
    hints: read,
  },
  {
    name: 'get_agent',
    summary: 'Show one agent, checked now: where it runs, its URL and its health',
    command: 'status',
    input: z.object({ name }).strict(),
    toArgs: same,
    output: agentOut,
    http: { method: 'GET', path: '/v1/agents/{name}', status: 200 },
    hints: read,
  },
  {
    name: 'deploy_agent',
    summary: 'Create an agent of a role and start it; returns the deploy job to follow',
    command: 'deploy',
    input: z
      .object({
        role: z.string().max(64).describe('The role to deploy, e.g. swe; /roles in chat lists them'),
        name,
        provider: z
          .string()
          .max(32)
          .optional()
          .describe('Where it runs: local, ssh, hetzner; the default when absent'),
        options: z
          .record(z.string().max(40), z.string().max(200))
          .optional()
          .describe('The provider’s deploy options by flag name, e.g. {"server-type": "cx22"}'),
      })
      .strict(),
    toArgs: ({ options, ...rest }) => ({ ...rest, ...(options as Record<string, string> | undefined) }),
    output: jobOut,
    http: { method: 'POST', path: '/v1/agents', status: 202 },
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  {
    name: 'restart_agent',
    summary: 'Restart an agent and check that it is healthy; returns the restart job',
    command: 'restart',
    input: z.object({ name }).strict(),
    toArgs: same,
    output: jobOut,
    http: { method: 'POST', path: '/v1/agents/{name}/restart', status: 202 },
    hints: { readOnly: false, destructive: false, idempotent: false },
  },
  {
    name: 'agent_logs',
    summary: 'The last lines of an agent’s log',
    command: 'logs',
    input: z
      .object({
        name,
        lines: z.number().int().min(1).max(500).optional().describe('How many lines (default 30)'),
      })
      .strict(),
    toArgs: ({ lines, ...rest }) => ({ ...rest, ...(lines === undefined ? {} : { n: lines }) }),
    output: logsRecordSchema,
    http: { method: 'GET', path: '/v1/agents/{name}/logs', status: 200 },
    hints: read,
  },
  {
    name: 'destroy_agent',
    summary:
      'Ask to destroy an agent: posts an approval card to the chats that follow it and to the admins; nothing is destroyed until a person approves',
    command: 'destroy',
    input: z.object({ name }).strict(),
    toArgs: same,
    output: z.object({ approval: approvalRecordSchema }),
    http: { method: 'DELETE', path: '/v1/agents/{name}', status: 202 },
    hints: { readOnly: false, destructive: true, idempotent: false },
  },
  {
    name: 'get_job',
    summary: 'A job with its steps: queued, running, or how it ended',
    command: 'jobs',
    input: z.object({ job }).strict(),
    toArgs: same,
    output: jobOut,
    http: { method: 'GET', path: '/v1/jobs/{job}', status: 200 },
    hints: read,
  },
  {
    name: 'job_events',
    summary:
      'A job’s events as they happen (Server-Sent Events; resume with Last-Event-ID), ending with its outcome',
    command: 'jobs',
    input: z.object({ job }).strict(),
    toArgs: same,
    output: jobRecordSchema,
    http: { method: 'GET', path: '/v1/jobs/{job}/events', status: 200, sse: true },
    hints: read,
  },
  {
    name: 'wait_job',
    summary: 'Wait until a job ends and return it (progress notifications on the way when asked for)',
    command: 'jobs',
    input: z.object({ job }).strict(),
    toArgs: same,
    output: jobOut,
    hints: read,
    waits: true,
  },
  {
    name: 'cancel_job',
    summary: 'Cancel a queued or running job; a running one is rolled back',
    command: 'cancel',
    input: z.object({ job }).strict(),
    toArgs: same,
    output: jobOut,
    http: { method: 'POST', path: '/v1/jobs/{job}/cancel', status: 200 },
    hints: { readOnly: false, destructive: true, idempotent: true },
  },
  {
    name: 'ask_agent',
    summary: 'Send a prompt to an agent and get its answer (streamed as Server-Sent Events over HTTP)',
    command: 'ask',
    input: z
      .object({
        name,
        prompt: z.string().min(1).max(20_000).describe('What to ask'),
        conversation: z
          .string()
          .max(64)
          .optional()
          .describe(
            'Keep talking in this conversation of the key’s own (1 to 64 letters, digits, - or _); a new one each time when absent',
          ),
      })
      .strict(),
    toArgs: ({ conversation: _conversation, ...rest }) => rest,
    conversation: true,
    output: z.object({
      status: z.enum(['answered', 'failed']),
      text: z.string(),
      note: z.string().optional(),
    }),
    http: { method: 'POST', path: '/v1/agents/{name}/ask', status: 200, sse: true },
    hints: { readOnly: false, destructive: false, idempotent: false },
    waits: true,
  },
];
