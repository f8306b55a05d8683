import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const here = new URL('../fixtures/', import.meta.url);

export function fixtureText(path: string): string {
  return readFileSync(new URL(path, here), 'utf8');
}

export function fixtureJson<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(fixtureText(path)) as T;
}

type Example = Record<string, unknown> & { action: string };

/** `pull_request` examples from @octokit/webhooks-examples (real payloads GitHub documented). */
export function pullRequestExamples(): Example[] {
  const require = createRequire(import.meta.url);
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string;
    examples: Example[];
  }[];
  const event = index.find((entry) => entry.name === 'pull_request');
  if (!event) throw new Error('no pull_request examples in @octokit/webhooks-examples');
  return structuredClone(event.examples);
}

export function pullRequestExample(action: string): Example & { pull_request: Record<string, unknown> } {
  const example = pullRequestExamples().find((candidate) => candidate.action === action);
  if (!example) throw new Error(`no pull_request ${action} example`);
  return example as Example & { pull_request: Record<string, unknown> };
}

// Test-side signers use node:crypto, independent of the Web Crypto code under test.
export function linearSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function slackSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function githubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** `issues` / `issue_comment` examples from @octokit/webhooks-examples, by event and action. */
export function githubExample(event: string, action: string): Record<string, unknown> & { action: string } {
  const require = createRequire(import.meta.url);
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string;
    examples: Example[];
  }[];
  const found = index
    .find((entry) => entry.name === event)
    ?.examples.find((example) => example.action === action);
  if (!found) throw new Error(`no ${event} ${action} example in @octokit/webhooks-examples`);
  return structuredClone(found);
}

export function githubExamples(event: string): Example[] {
  const require = createRequire(import.meta.url);
  const index = require('@octokit/webhooks-examples/api.github.com/index.json') as {
    name: string;
    examples: Example[];
  }[];
  return structuredClone(index.find((entry) => entry.name === event)?.examples ?? []);
}

export function jiraSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
