import type { IncomingMessage } from 'node:http';
import { badRequest } from './errors.js';
import { boundaryOf, parseMultipart } from './multipart.js';
import type { UploadedFile } from './multipart.js';

/**
 * Parameters as they arrived, before any type coercion. Form and query values are strings, JSON values
 * keep their JSON type; uploaded files are referenced by part name (grammY uses `attach://<part>`).
 */
export interface RawParams {
  fields: Record<string, unknown>;
  files: Map<string, UploadedFile>;
}

// The Bot API accepts uploads up to 50 MB; anything bigger is a test bug, not a fixture.
const MAX_BODY_BYTES = 60 * 1024 * 1024;

export async function readParams(req: IncomingMessage, url: URL): Promise<RawParams> {
  // Query-string parameters are accepted for every verb and are overridden by body fields.
  const fields: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const files = new Map<string, UploadedFile>();
  const body = await readBody(req);
  if (body.length === 0) return { fields, files };

  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (contentType.startsWith('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw badRequest(undefined, 'request body is not valid JSON', "can't parse JSON object");
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw badRequest(undefined, 'JSON request body is not an object', "can't parse JSON object");
    }
    Object.assign(fields, parsed);
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(fields, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = boundaryOf(req.headers['content-type'] ?? '');
    if (boundary === undefined) {
      throw badRequest(undefined, 'multipart request without boundary', "can't parse multipart request");
    }
    try {
      const parsed = parseMultipart(body, boundary);
      Object.assign(fields, Object.fromEntries(parsed.fields));
      for (const [name, file] of parsed.files) files.set(name, file);
    } catch (err) {
      throw badRequest(
        undefined,
        `malformed multipart body: ${(err as Error).message}`,
        "can't parse multipart request",
      );
    }
  } else {
    throw badRequest(
      undefined,
      `unsupported Content-Type "${contentType}"`,
      'unsupported Content-Type of the request body',
    );
  }
  return { fields, files };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw badRequest(undefined, 'request body exceeds 60 MB', 'request entity too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
