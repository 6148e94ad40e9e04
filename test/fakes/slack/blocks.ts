import { z } from 'zod';

// Block Kit as fleetbot uses it, with the limits from docs.slack.dev/reference/block-kit.
const plainText = (max: number) =>
  z.object({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });
const mrkdwn = (max: number) => z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) });

const confirm = z.object({
  title: plainText(100),
  text: z.union([mrkdwn(300), plainText(300)]),
  confirm: plainText(30),
  deny: plainText(30),
  style: z.enum(['primary', 'danger']).optional(),
});
const button = z.object({
  type: z.literal('button'),
  action_id: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
  text: plainText(75),
  style: z.enum(['primary', 'danger']).optional(),
  confirm: confirm.optional(),
});
const block = z.discriminatedUnion('type', [
  z.object({ type: z.literal('section'), block_id: z.string().max(255).optional(), text: mrkdwn(3000) }),
  z.object({
    type: z.literal('actions'),
    block_id: z.string().max(255).optional(),
    elements: z.array(button).min(1).max(25),
  }),
  z.object({ type: z.literal('context'), elements: z.array(mrkdwn(3000)).min(1).max(10) }),
]);
export const blocksSchema = z.array(block).max(50);
export type Block = z.output<typeof block>;
export type ButtonElement = z.output<typeof button>;

/** Problems with a message's blocks, as Slack's invalid_blocks would report them. */
export function checkBlocks(raw: unknown): { blocks: Block[]; problems: string[] } {
  const parsed = blocksSchema.safeParse(raw);
  if (!parsed.success)
    return {
      blocks: [],
      problems: parsed.error.issues.map((i) => `blocks/${i.path.join('/')}: ${i.message}`),
    };
  const ids = parsed.data.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => e.action_id) : []));
  const problems = new Set(ids).size === ids.length ? [] : ['action_id values must be unique in a message'];
  return { blocks: parsed.data, problems };
}

const entities = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** Roughly what a person reads: links as their labels, formatting marks dropped, entities decoded. */
export function readable(mrkdwnText: string): string {
  return entities(
    mrkdwnText
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
      .replace(/<(https?:[^>]+)>/g, '$1')
      .replace(/<#([A-Z0-9]+)>/g, '#$1')
      .replace(/(^|[\s(])[*_`]+|[*_`]+(?=$|[\s),.:;])/gm, '$1'),
  );
}

/** The text of a message as shown: its sections and context lines, one after another. */
export const shownText = (blocks: Block[]): string =>
  blocks
    .flatMap((b) =>
      b.type === 'section' ? [b.text.text] : b.type === 'context' ? b.elements.map((e) => e.text) : [],
    )
    .map(readable)
    .join('\n');

export const buttonsOf = (blocks: Block[]): ButtonElement[] =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
