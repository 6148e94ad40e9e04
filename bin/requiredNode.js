// Plain JavaScript that any Node.js since 12 can parse: it runs before anything that needs a newer one.

/**
 * Why this Node.js cannot run fleetbot, in one line, or undefined when it can. `found` is
 * process.versions.node; `engines` is package.json's `engines.node`, a `>=major.minor.patch` range.
 */
export function nodeVersionProblem(found, engines) {
  const needed = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(engines.trim());
  if (!needed) throw new Error(`package.json engines.node must read >=major.minor.patch, not ${engines}`);
  const have = found.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const want = Number(needed[i + 1]);
    if ((have[i] ?? 0) > want) return undefined;
    if ((have[i] ?? 0) < want)
      return `fleetbot needs Node.js ${needed[1]}.${needed[2]}.${needed[3]} or newer, and this is Node.js ${found}: install a newer one (docs/operations.md says how) and run it again.`;
  }
  return undefined;
}
