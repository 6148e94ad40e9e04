import { duration } from '../chat/format.js';
import { agentText } from '../chat/text.js';
import type { ToolStep } from './protocol.js';

/** How much of a step's title (the agent's words) a status line shows. */
const maxTitleChars = 80;
/** Steps `/ask verbose on` lists at most; older ones are summed up. */
const maxListed = 15;

const marks: Record<ToolStep['status'], string> = {
  pending: '·',
  in_progress: '…',
  completed: '✓',
  failed: '✗',
};

/**
 * The status line of an answer in progress: `⚙️ 4 steps · running npm test · 42 s`; with verbose on,
 * one line per step. Undefined before the first step, so a plain answer shows no status at all.
 */
export function stepStatus(steps: ToolStep[], elapsedMs: number, verbose: boolean): string[] | undefined {
  if (steps.length === 0) return undefined;
  const current = [...steps].reverse().find((s) => s.status === 'in_progress' || s.status === 'pending');
  const head = [
    `⚙️ ${steps.length} step${steps.length === 1 ? '' : 's'}`,
    ...(current ? [agentText(current.title, maxTitleChars)] : []),
    duration(elapsedMs),
  ].join(' · ');
  if (!verbose) return [head];
  const shown = steps.slice(-maxListed);
  const hidden = steps.length - shown.length;
  return [
    head,
    ...(hidden > 0 ? [`(${hidden} earlier step${hidden === 1 ? '' : 's'})`] : []),
    ...shown.map((s) => `${marks[s.status]} ${agentText(s.title, maxTitleChars)}`),
  ];
}

/** Keeps the newest state of each step, in the order they first appeared. */
export function recordStep(steps: ToolStep[], step: ToolStep): ToolStep[] {
  const at = steps.findIndex((s) => s.id === step.id);
  if (at === -1) return [...steps, step];
  return steps.map((s, i) => (i === at ? { ...s, ...step, title: step.title || s.title } : s));
}
