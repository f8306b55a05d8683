import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const VENDOR_WORDS =
  /\b(linear|slack|github|gitlab|jira|aws|dynamo(db)?|lambda|cloudflare|durable ?objects?|relayfile|workerd)\b/i;
const VENDOR_PACKAGES =
  /from\s+['"](@aws-sdk|@slack|@octokit|@linear|@cloudflare|@relayfile|@agent-relay|@anthropic-ai|openai|wrangler|miniflare)/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The code without its comments (line and block), with camelCase split into words so `SlackClient` and
 * `githubToken` count; string contents stay: a vendor name in a string is code.
 */
function withoutComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2');
}

describe('the core names no provider, vendor or cloud', () => {
  const files = sourceFiles(SRC);

  it('finds the core’s source files', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it('has no vendor word outside comments', () => {
    const hits = files.flatMap((file) =>
      withoutComments(readFileSync(file, 'utf8'))
        .split('\n')
        .flatMap((line, index) =>
          VENDOR_WORDS.test(line) ? [`${relative(SRC, file)}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(hits).toEqual([]);
  });

  it('imports no vendor package', () => {
    const hits = files
      .filter((file) => VENDOR_PACKAGES.test(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(hits).toEqual([]);
  });

  it('would notice one (the check can fail)', () => {
    expect(
      VENDOR_WORDS.test(withoutComments('const client = new SlackClient(); // fine in a comment: GitHub')),
    ).toBe(true);
    expect(VENDOR_WORDS.test(withoutComments('const x = 1; // only a comment mentions AWS'))).toBe(false);
  });
});
