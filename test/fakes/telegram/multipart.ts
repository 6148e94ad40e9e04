/** A file part of a multipart upload; its content is kept so tests can read what a person would download. */
export interface UploadedFile {
  readonly kind: 'uploaded-file';
  fileName: string;
  size: number;
  contentType: string | undefined;
  content: Buffer;
}

export interface MultipartBody {
  fields: Map<string, string>;
  files: Map<string, UploadedFile>;
}

export function isUploadedFile(value: unknown): value is UploadedFile {
  return (
    typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'uploaded-file'
  );
}

export function boundaryOf(contentType: string): string | undefined {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Splits a multipart/form-data body. Deliberately lenient about header syntax because grammY writes
 * `content-disposition:form-data;name="k";filename=x.txt` (no spaces, unquoted filename), which strict
 * parsers reject but the real server accepts.
 */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody {
  const fields = new Map<string, string>();
  const files = new Map<string, UploadedFile>();
  const delimiter = Buffer.from(`--${boundary}`);
  const partEnd = Buffer.from(`\r\n--${boundary}`);

  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new Error('multipart body does not contain its boundary');
  pos += delimiter.length;
  for (;;) {
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break;
    const headerStart = body.indexOf('\r\n', pos) + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerStart < 2 || headerEnd < 0) throw new Error('multipart part without a header block');
    const headers = parseHeaders(body.toString('utf8', headerStart, headerEnd));
    const contentStart = headerEnd + 4;
    const next = body.indexOf(partEnd, contentStart);
    if (next < 0) throw new Error('multipart body is not terminated');
    const content = body.subarray(contentStart, next);

    const disposition = dispositionParams(headers.get('content-disposition') ?? '');
    const name = disposition.get('name');
    if (name === undefined) throw new Error('multipart part without a name');
    const fileName = disposition.get('filename');
    if (fileName === undefined) {
      fields.set(name, content.toString('utf8'));
    } else {
      files.set(name, {
        kind: 'uploaded-file',
        fileName,
        size: content.length,
        contentType: headers.get('content-type'),
        content: Buffer.from(content),
      });
    }
    pos = next + partEnd.length;
  }
  return { fields, files };
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const match of value.matchAll(/;\s*([\w*-]+)\s*=\s*(?:"([^"]*)"|([^;]*))/g)) {
    const key = match[1];
    if (key !== undefined) params.set(key.toLowerCase(), match[2] ?? (match[3] ?? '').trim());
  }
  return params;
}
