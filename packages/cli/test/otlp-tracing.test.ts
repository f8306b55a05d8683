import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tracesUrl } from '../src/otlp-tracing.ts';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));
const SDK_MODULES = /['"](@opentelemetry\/(?:sdk-trace|exporter-trace-otlp-http|resources))['"]/g;

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the OTLP exporter of factory start', () => {
  it('sends to the collector’s traces path, whether the endpoint names it or not', () => {
    expect(tracesUrl('http://127.0.0.1:4318').href).toBe('http://127.0.0.1:4318/v1/traces');
    expect(tracesUrl('https://otel.example.com/collector/').href).toBe(
      'https://otel.example.com/collector/v1/traces',
    );
    expect(tracesUrl('https://otel.example.com/v1/traces').href).toBe('https://otel.example.com/v1/traces');
  });

  it('is the only code that loads the OpenTelemetry SDK, and only by a dynamic import', async () => {
    const loaders: string[] = [];
    for (const pkg of ['sdk', 'cli', 'aws', 'cloudflare', 'providers', 'fleets']) {
      for (const file of await sourceFiles(path.join(PACKAGES, pkg, 'src'))) {
        const text = await readFile(file, 'utf8');
        for (const match of text.matchAll(SDK_MODULES)) {
          const before = text.slice(Math.max(0, (match.index ?? 0) - 8), match.index);
          // A name in a string (the peer's name, a message) loads nothing; `from '…'` and `import(…)` do.
          const how = before.endsWith('import(')
            ? 'import()'
            : /(from|import) $/.test(before)
              ? 'static'
              : '';
          if (how) loaders.push(`${path.relative(PACKAGES, file)} ${how}`);
        }
      }
    }
    expect([...new Set(loaders)]).toEqual(['cli/src/otlp-tracing.ts import()']);
  });
});
