import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  caddyValue,
  dockerfileValue,
  nftValue,
  shellValue,
  systemdValue,
  yamlValue,
  type Escaper,
  type TemplateValue,
} from './escape.js';

/** templates/ at the top of the project, found from this file in src/ or dist/src/. */
function templatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'templates');
    try {
      readFileSync(path.join(candidate, 'machine', 'agent.service'));
      return candidate;
    } catch {
      dir = path.dirname(dir);
    }
  }
  throw new Error('templates/ not found next to fleetbot; reinstall fleetbot');
}

/** Each template's folder in templates/ (what it is for) and the format its values are escaped for. */
const templates = {
  'cloud-init.yaml': { dir: 'machine', escape: yamlValue },
  'agent.service': { dir: 'machine', escape: systemdValue },
  Caddyfile: { dir: 'machine', escape: caddyValue },
  'site.caddy': { dir: 'machine', escape: caddyValue },
  'Caddyfile.placeholder': { dir: 'machine', escape: caddyValue },
  'build-image.sh': { dir: 'machine', escape: shellValue },
  'agent-port.nft': { dir: 'machine', escape: nftValue },
  Dockerfile: { dir: 'docker', escape: dockerfileValue },
} satisfies Record<string, { dir: string; escape: Escaper }>;
export type TemplateName = keyof typeof templates;

/** A template's text as shipped, for files that are copied unchanged. */
export const templateText = (name: TemplateName): string =>
  readFileSync(path.join(templatesDir(), templates[name].dir, name), 'utf8');

/**
 * Fills `{{key}}` with each value escaped for the template's format. `{{#key}}…{{/key}}` keeps its
 * lines only when the value is given and not empty. A missing or unused value is an error, so a
 * template and its caller cannot drift apart silently.
 */
export function renderTemplate(
  name: TemplateName,
  values: Record<string, TemplateValue | undefined>,
): string {
  const escape: Escaper = templates[name].escape;
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
