import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  caddyValue,
  nftValue,
  shellValue,
  systemdValue,
  yamlValue,
  type Escaper,
  type TemplateValue,
} from './escape.js';

/** templates/machine at the top of the project, found from this file in src/ or dist/src/. */
function templatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'templates', 'machine');
    try {
      readFileSync(path.join(candidate, 'agent.service'));
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error('templates/machine not found next to fleetbot; reinstall fleetbot');
}

const formats = {
  'cloud-init.yaml': yamlValue,
  'agent.service': systemdValue,
  Caddyfile: caddyValue,
  'site.caddy': caddyValue,
  'Caddyfile.placeholder': caddyValue,
  'build-image.sh': shellValue,
  'agent-port.nft': nftValue,
} satisfies Record<string, Escaper>;
export type TemplateName = keyof typeof formats;

/** A template's text as shipped, for files that are copied unchanged. */
export const templateText = (name: TemplateName): string =>
  readFileSync(path.join(templatesDir(), name), 'utf8');

/**
 * Fills `{{key}}` with each value escaped for the template's format. `{{#key}}…{{/key}}` keeps its
 * lines only when the value is given and not an empty string. A missing or unused value is an error, so a
 * template and its caller cannot drift apart silently.
 */
export function renderTemplate(
  name: TemplateName,
  values: Record<string, TemplateValue | undefined>,
): string {
  const escape: Escaper = formats[name];
  const used = new Set<string>();
  const withSections = templateText(name).replace(
    /^\{\{#(\w+)\}\}\n([\s\S]*?)^\{\{\/\1\}\}\n/gm,
    (_all, key: string, body: string) => {
      used.add(key);
      return values[key] ? body : '';
    },
  );
  const text = withSections.replace(/\{\{(\w+)\}\}/g, (_all, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${name} needs a value for ${key}`);
    used.add(key);
    return escape(value, key);
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`template ${name} has no place for ${unused.join(', ')}`);
  return text;
}
