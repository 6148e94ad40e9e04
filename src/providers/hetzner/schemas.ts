import { z } from 'zod';

// Only the fields fleetbot reads; unknown fields are allowed so API additions do not break a deploy.

export const actionSchema = z.object({
  id: z.number().int(),
  command: z.string(),
  status: z.enum(['running', 'success', 'error']),
  progress: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).nullable().optional(),
});
export type Action = z.output<typeof actionSchema>;

export const serverStatuses = [
  'initializing',
  'starting',
  'running',
  'stopping',
  'off',
  'deleting',
  'migrating',
  'rebuilding',
  'unknown',
] as const;

export const serverSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.enum(serverStatuses),
  labels: z.record(z.string(), z.string()),
  public_net: z.object({ ipv4: z.object({ ip: z.string() }).nullable() }),
  server_type: z.object({ name: z.string() }),
  location: z.object({ name: z.string() }),
  created: z.string(),
});
export type Server = z.output<typeof serverSchema>;

export const imageSchema = z.object({
  id: z.number().int(),
  type: z.string(),
  status: z.enum(['available', 'creating', 'unavailable']),
  name: z.string().nullable(),
  description: z.string(),
  created: z.string(),
  disk_size: z.number(),
  architecture: z.string(),
  labels: z.record(z.string(), z.string()),
});
export type Image = z.output<typeof imageSchema>;

export const serverTypeSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  cores: z.number(),
  memory: z.number(),
  disk: z.number(),
  architecture: z.string(),
  deprecated: z.boolean().nullable().optional(),
  locations: z.array(z.object({ name: z.string() })).optional(),
  prices: z.array(z.object({ location: z.string(), price_monthly: z.object({ gross: z.string() }) })),
});
export type ServerType = z.output<typeof serverTypeSchema>;

export const locationSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  city: z.string(),
  country: z.string(),
});
export type Location = z.output<typeof locationSchema>;

export const sshKeySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  fingerprint: z.string(),
  public_key: z.string(),
});
export type SshKey = z.output<typeof sshKeySchema>;

export const firewallSchema = z.object({ id: z.number().int(), name: z.string() });
export type Firewall = z.output<typeof firewallSchema>;

export const paginationSchema = z.object({
  meta: z.object({ pagination: z.object({ next_page: z.number().int().nullable() }) }).optional(),
});

export const errorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .object({
        fields: z.array(z.object({ name: z.string(), messages: z.array(z.string()).optional() })).optional(),
      })
      .loose()
      .nullable()
      .optional(),
  }),
});
