import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.ts';
import { testFolder } from './support/temp-folder.ts';

const README = new URL('../README.md', import.meta.url);

describe('the README', () => {
  it('opens with the shortest config, which loads with nothing set', async () => {
    const readme = await readFile(README, 'utf8');
    const shortest = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)][0]?.[1] ?? '';
    expect(shortest).toBe('intentProvider: linear\nclarificationChannel: slack\noutputTarget: github\n');
    const config = await parseConfig(shortest, { fileName: 'README.md', baseDir: tmpdir(), env: {} });
    expect(config.tenants[0]).toMatchObject({
      intentProvider: { type: 'linear' },
      clarificationChannel: { type: 'slack' },
      outputTarget: { type: 'github' },
    });
  });

  it('shows a config that loads', async () => {
    const readme = await readFile(README, 'utf8');
    const example = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)][1]?.[1];
    expect(example).toBeDefined();
    const names = [...(example ?? '').matchAll(/\$\{(\w+)\}/g)].map((match) => match[1] as string);
    // Long enough for any secret, admin tokens (at least 32 characters) included.
    const env = Object.fromEntries(
      names.map((name) => [name, `value-of-${name}-0123456789abcdef0123456789`]),
    );
    const baseDir = await testFolder('factory-readme-');
    await writeFile(path.join(baseDir, 'task.md'), 'Work on {{item.key}}.');
    const config = await parseConfig(example ?? '', { fileName: 'README.md', baseDir, env });
    expect(config.tenants.map((tenant) => tenant.id)).toEqual(['acme']);
    expect(config.tenants[0]?.mount?.type).toBe('relayfile');
  });
});
