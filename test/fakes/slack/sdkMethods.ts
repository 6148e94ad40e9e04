import { z } from 'zod';

/**
 * Web API methods newer than the OpenAPI snapshot in shared/specs (it has no streaming and no external
 * upload methods). Their arguments are written from @slack/web-api 8.2's request types
 * (dist/types/request/chat.d.ts: ChatStartStreamArguments, ChatAppendStreamArguments,
 * ChatStopStreamArguments; files.d.ts: FilesGetUploadURLExternalArguments,
 * FilesCompleteUploadExternalArguments) and docs.slack.dev, and checked as strictly as the spec's.
 * Form bodies carry numbers as text and arrays as JSON, which parseArgs has already decoded.
 */
const markdownText = z.string().min(1).max(12_000);
const ts = z.string().regex(/^\d+\.\d+$/);
const token = { token: z.string().optional() };

export const sdkMethods: Record<string, z.ZodObject> = {
  'chat.startStream': z.strictObject({
    ...token,
    channel: z.string().min(1),
    thread_ts: ts,
    markdown_text: markdownText.optional(),
    chunks: z.array(z.unknown()).optional(),
    recipient_team_id: z.string().optional(),
    recipient_user_id: z.string().optional(),
    task_display_mode: z.string().optional(),
    icon_emoji: z.string().optional(),
    icon_url: z.string().optional(),
    username: z.string().optional(),
  }),
  'chat.appendStream': z.strictObject({
    ...token,
    channel: z.string().min(1),
    ts,
    markdown_text: markdownText.optional(),
    chunks: z.array(z.unknown()).optional(),
  }),
  'chat.stopStream': z.strictObject({
    ...token,
    channel: z.string().min(1),
    ts,
    markdown_text: markdownText.optional(),
    chunks: z.array(z.unknown()).optional(),
    blocks: z.array(z.unknown()).optional(),
    metadata: z.unknown().optional(),
    session_status: z.string().optional(),
  }),
  'files.getUploadURLExternal': z.strictObject({
    ...token,
    filename: z.string().min(1),
    length: z.coerce.number().int().positive(),
    alt_text: z.string().optional(),
    snippet_type: z.string().optional(),
  }),
  'files.completeUploadExternal': z.strictObject({
    ...token,
    files: z
      .array(
        z.strictObject({
          id: z.string().min(1),
          title: z.string().optional(),
          highlight_type: z.string().optional(),
        }),
      )
      .min(1),
    channel_id: z.string().optional(),
    channels: z.string().optional(),
    thread_ts: ts.optional(),
    initial_comment: z.string().optional(),
    blocks: z.array(z.unknown()).optional(),
  }),
};
