import type { HetznerCloud } from './hetznerCloud.js';

/** What someone other than this fleetbot does on the same clouds: a person in a dashboard, or another tool. */
async function call(
  base: string,
  token: string,
  method: string,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Creates a DNS record in the zone as a person would in the Cloudflare dashboard; returns its id. */
export async function addRecord(
  cloud: HetznerCloud,
  fields: { type: string; name: string; content: string; comment?: string },
): Promise<string> {
  const { cloudflare: cf } = cloud;
  const reply = await call(cf.apiBase, cf.token, 'POST', `/zones/${cf.zoneId}/dns_records`, {
    ttl: 300,
    proxied: false,
    ...fields,
  });
  return (reply.result as { id: string }).id;
}

/** Changes a record's fields in place (its comment, say), as a person would in the dashboard. */
export async function editRecord(
  cloud: HetznerCloud,
  id: string,
  fields: { comment?: string | null; content?: string },
): Promise<void> {
  const { cloudflare: cf } = cloud;
  await call(cf.apiBase, cf.token, 'PATCH', `/zones/${cf.zoneId}/dns_records/${id}`, fields);
}

/** Replaces a server's labels, as a person would in the Hetzner Console. */
export async function setServerLabels(
  cloud: HetznerCloud,
  id: number,
  labels: Record<string, string>,
): Promise<void> {
  await call(cloud.hetzner.endpoint, cloud.hetzner.token, 'PUT', `/servers/${id}`, { labels });
}
