import { open, readFile, stat, writeFile } from 'node:fs/promises';

/** The last `count` lines of a file, reading only its tail so a huge log costs the same as a small one. */
export async function tailLines(file: string, count: number, maxBytes = 256 * 1024): Promise<string[]> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return [];
  }
  const start = Math.max(0, size - maxBytes);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // the first line is probably cut
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

/** KEY=value lines; values are JSON-quoted so any character survives. Written 0600: these are secrets. */
export async function writeEnvFile(file: string, values: Record<string, string>): Promise<void> {
  const body = Object.entries(values)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join('\n');
  await writeFile(file, body ? `${body}\n` : '', { mode: 0o600 });
}

export async function readEnvFile(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  const values: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) values[line.slice(0, eq)] = JSON.parse(line.slice(eq + 1)) as string;
  }
  return values;
}
