import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeUnconnected, unconnectedProviders } from '../src/index.ts';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports, types included (a type cycle is a cycle too). */
function importsOf(file: string): string[] {
  const specifiers = readFileSync(file, 'utf8').matchAll(/(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g);
  return [...specifiers].map((match) => resolve(dirname(file), match[1] as string));
}

/** A cycle of modules, as paths under src, when the import graph has one. */
function firstCycle(graph: ReadonlyMap<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = graph.has(next) ? visit(next) : undefined;
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle.map((member) => relative(SRC, member));
  }
  return undefined;
}

describe('the core’s modules', () => {
  it('import one another without a cycle, types included', () => {
    const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));
    expect(graph.size).toBeGreaterThan(30);
    expect(firstCycle(graph)).toBeUndefined();
  });

  it('the cycle check finds one when there is one', () => {
    const graph = new Map([
      [join(SRC, 'a.ts'), [join(SRC, 'b.ts')]],
      [join(SRC, 'b.ts'), [join(SRC, 'c.ts')]],
      [join(SRC, 'c.ts'), [join(SRC, 'a.ts')]],
    ]);
    expect(firstCycle(graph)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
  });

  it('the ports import nothing but other ports and plain data types of the core', () => {
    const ports = sourceFiles(join(SRC, 'ports'));
    const reaching = ports.flatMap((file) =>
      importsOf(file)
        .map((target) => relative(SRC, target))
        .filter((target) => /^(http|ingress|pipeline|handlers|machine|status|tenants|dry-run)\//.test(target))
        .map((target) => `${relative(SRC, file)} → ${target}`),
    );
    expect(reaching).toEqual([]);
  });
});

describe('a tenant that may not process work says which providers stop it, as data', () => {
  const reports = [
    { provider: 'tracker', role: 'intake' as const, status: { state: 'connected' as const } },
    {
      provider: 'chat',
      role: 'clarification' as const,
      status: { state: 'needs-auth' as const, reason: 'no token' },
    },
    {
      provider: 'code',
      role: 'output' as const,
      status: { state: 'missing-scopes' as const, missing: ['repo', 'workflow'] },
    },
    {
      provider: 'fleet',
      role: 'fleet' as const,
      status: { state: 'error' as const, message: 'unreachable' },
    },
  ];

  it('names each provider that needs a sign-in or lacks scopes, and no other', () => {
    expect(unconnectedProviders(reports)).toEqual([
      { provider: 'chat', role: 'clarification', state: 'needs-auth' },
      { provider: 'code', role: 'output', state: 'missing-scopes', missing: ['repo', 'workflow'] },
    ]);
    expect(unconnectedProviders(reports.slice(0, 1))).toEqual([]);
  });

  it('describes them in one line that names no command (the reader words the fix)', () => {
    expect(describeUnconnected(unconnectedProviders(reports))).toBe(
      'chat (clarification) needs authorisation; code (output) is missing scopes repo, workflow',
    );
  });
});
