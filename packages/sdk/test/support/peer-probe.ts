import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REGISTER_SOURCES_URL } from '../../../../scripts/workspace-sources.ts';

/** The optional peers of the factory's packages; none may load unless the config asks for it. */
export const OPTIONAL_PEERS = ['@anthropic-ai/sdk', 'openai', '@agent-relay/sdk'] as const;
export type OptionalPeer = (typeof OPTIONAL_PEERS)[number];

export interface ProbeResult {
  /** What `report(label)` saw: the optional peers resolved up to that point, in order. */
  reports: Record<string, OptionalPeer[]>;
  /** What the script passed to `answer(value)`. */
  answer: unknown;
}

/**
 * Runs `script` (an ES module body with top-level await) in a fresh `node`, our packages resolving to
 * their sources. A resolve hook records every optional peer that gets resolved; those in `hidden`
 * are resolved from a folder without node_modules, so Node's own resolver fails for them exactly as
 * it does when the package is not installed (ERR_MODULE_NOT_FOUND, `Cannot find package '<name>'`).
 * The script calls `report(label)` to snapshot what was loaded, and `answer(value)` to hand back JSON.
 */
export async function probe(script: string, hidden: readonly OptionalPeer[] = []): Promise<ProbeResult> {
  const program = `
import { registerHooks } from 'node:module';
const PEERS = ${JSON.stringify(OPTIONAL_PEERS)};
const HIDDEN = ${JSON.stringify(hidden)};
const loaded = new Set();
const reports = {};
let answered;
registerHooks({
  resolve(specifier, context, nextResolve) {
    const peer = PEERS.find((name) => specifier === name || specifier.startsWith(name + '/'));
    if (peer && HIDDEN.includes(peer)) return nextResolve(specifier, { ...context, parentURL: 'file:///nonexistent/probe.mjs' });
    const resolved = nextResolve(specifier, context);
    for (const name of PEERS) if (resolved.url.includes('/node_modules/' + name + '/')) loaded.add(name);
    return resolved;
  },
});
globalThis.report = (label) => { reports[label] = [...loaded]; };
globalThis.answer = (value) => { answered = value; };
${script}
process.stdout.write(JSON.stringify({ reports, answer: answered }));
`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [`--import=${REGISTER_SOURCES_URL}`, '--input-type=module', '--eval', program],
    { cwd: import.meta.dirname, timeout: 30_000 },
  );
  return JSON.parse(stdout) as ProbeResult;
}
