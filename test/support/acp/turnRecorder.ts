import type {
  PermissionChoice,
  PermissionRequest,
  ToolStep,
  TurnEvents,
} from '../../../src/core/conversations/protocol.js';

/** TurnEvents that keep what a turn reported, answering permission requests as told. */
export function turnRecorder(
  answer: (request: PermissionRequest) => Promise<PermissionChoice> = () => Promise.resolve('reject'),
) {
  const seen = {
    text: '',
    steps: [] as ToolStep[],
    files: [] as { name: string; content: string }[],
    skipped: [] as string[],
    permissions: [] as PermissionRequest[],
  };
  const events: TurnEvents = {
    text: (delta) => (seen.text += delta),
    step: (step) => seen.steps.push(step),
    file: (file) => seen.files.push(file),
    skipped: (what) => seen.skipped.push(what),
    permission: (request) => {
      seen.permissions.push(request);
      return answer(request);
    },
  };
  return { events, seen };
}

/** Resolves once `check` holds, polling (real time) for what a child process sends. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
