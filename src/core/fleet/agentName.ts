import { z } from 'zod';

/** Names that would collide with infrastructure hostnames or confuse people reading a URL. */
export const reservedNames = new Set([
  'admin',
  'api',
  'app',
  'auth',
  'autoconfig',
  'autodiscover',
  'dns',
  'fleetbot',
  'ftp',
  'imap',
  'localhost',
  'mail',
  'mx',
  // Words /ask verbose and /chat off take in an agent's place.
  'off',
  'ns1',
  'ns2',
  'pop',
  'root',
  'smtp',
  'ssh',
  'status',
  'support',
  'verbose',
  'webmail',
  'www',
]);

export const nameRule =
  '3-32 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen';

/**
 * A name that becomes a DNS label (alice.example.com) or is read beside one (the API key ci acts as
 * api:ci), so it follows the DNS label rules; `what` names it in the error ("agent name", "key name").
 */
export const dnsNameSchema = (what: string) =>
  z
    .string()
    .transform((s) => s.trim())
    .superRefine((name, ctx) => {
      if (!/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(name)) {
        const hint =
          /[A-Z]/.test(name) && /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/.test(name.toLowerCase())
            ? ` Try ${name.toLowerCase()}.`
            : '';
        ctx.addIssue({
          code: 'custom',
          message: `"${name.slice(0, 40)}" is not a valid ${what}: use ${nameRule}.${hint}`,
        });
      } else if (reservedNames.has(name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is reserved; pick another ${what}.` });
      }
    });

export const agentNameSchema = dnsNameSchema('agent name');
