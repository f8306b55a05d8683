import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as github from '../src/github/webhook-source.ts';
import { isLinearIssue, linearIssueSchema } from '../src/linear/issue.ts';
import * as linear from '../src/linear/webhook-source.ts';
import * as slack from '../src/slack/webhook-source.ts';
import { fixtureJson, pullRequestExamples } from './support/fixtures.ts';

/**
 * Each quick reader must agree with its schema: whatever it accepts, the schema accepts, with the same
 * values in every field the schema gives back; and it accepts the real deliveries, so the sources take
 * the quick path for them. Checked on real payloads and on them with fields broken, dropped or retyped.
 */

type Reader = { schema: { safeParse(value: unknown): { success: boolean; data?: unknown } } };

interface Pair extends Reader {
  name: string;
  quick: (value: unknown) => unknown;
  /** Real payloads, as the schema sees them. */
  samples: () => unknown[];
  /** The field paths the schema reads, to break. */
  paths: string[][];
}

const issue = (name: string) => fixtureJson<{ data: Record<string, unknown> }>(`linear/${name}`);
const slackEvent = (name: string) => fixtureJson<{ event: Record<string, unknown> }>(`slack/${name}`);
const SLACK_MESSAGES = [
  'event_callback.message.thread_reply.channel.json',
  'event_callback.message.thread_reply.im.json',
  'event_callback.message.thread_broadcast.json',
  'event_callback.message.user.json',
  'event_callback.message.bot_id.json',
  'event_callback.message.bot_message_subtype.json',
];
const LINEAR_ISSUES = ['issue.create.korosuke613.json', 'issue.update.cycle-and-state.korosuke613.json'];

const pairs: Pair[] = [
  {
    name: 'GitHub pull_request delivery',
    schema: github.payloadSchema,
    quick: github.quickPayload,
    samples: () => pullRequestExamples(),
    paths: [
      ['action'],
      ['repository'],
      ['repository', 'full_name'],
      ['pull_request'],
      ...[
        'number',
        'html_url',
        'state',
        'draft',
        'merged',
        'merged_at',
        'title',
        'body',
        'updated_at',
        'head',
      ].map((field) => ['pull_request', field]),
      ['pull_request', 'head', 'ref'],
      ['pull_request', 'head', 'repo'],
      ['pull_request', 'head', 'repo', 'full_name'],
    ],
  },
  {
    name: 'Linear envelope',
    schema: linear.envelopeSchema,
    quick: linear.quickEnvelope,
    samples: () => LINEAR_ISSUES.map((name) => fixtureJson(`linear/${name}`)),
    paths: [['type'], ['action'], ['data'], ['url'], ['createdAt']],
  },
  {
    name: 'Linear issue',
    schema: linearIssueSchema,
    quick: (value) => (isLinearIssue(value) ? value : undefined),
    samples: () => [
      ...LINEAR_ISSUES.map((name) => issue(name).data),
      {
        ...issue(LINEAR_ISSUES[0] as string).data,
        labels: [{ id: 'l-1', name: 'factory' }],
        labelIds: ['l-1'],
      },
    ],
    paths: [
      ...[
        'id',
        'identifier',
        'number',
        'title',
        'description',
        'url',
        'updatedAt',
        'teamId',
        'stateId',
        'state',
        'team',
        'project',
        'labels',
        'labelIds',
        'priority',
        'trashed',
      ].map((field) => [field]),
      ['state', 'id'],
      ['state', 'name'],
      ['state', 'type'],
      ['team', 'id'],
      ['team', 'key'],
      ['team', 'name'],
      ['project', 'name'],
      ['labels', '0'],
      ['labels', '0', 'name'],
      ['labels', '0', 'id'],
      ['labelIds', '0'],
    ],
  },
  {
    name: 'Slack envelope',
    schema: slack.envelopeSchema,
    quick: slack.quickEnvelope,
    samples: () => [...SLACK_MESSAGES, 'url_verification.json'].map((name) => fixtureJson(`slack/${name}`)),
    paths: [
      ['type'],
      ['challenge'],
      ['event_id'],
      ['event'],
      ['authorizations'],
      ['authorizations', '0'],
      ['authorizations', '0', 'user_id'],
      ['authorizations', '0', 'is_bot'],
    ],
  },
  {
    name: 'Slack message',
    schema: slack.messageSchema,
    quick: slack.quickMessage,
    samples: () => SLACK_MESSAGES.map((name) => slackEvent(name).event),
    paths: ['type', 'subtype', 'channel', 'user', 'bot_id', 'text', 'ts', 'thread_ts'].map((field) => [
      field,
    ]),
  },
];

/** Values a broken field may take: absent, null, the wrong type, empty, out of range. */
const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'open',
  'closed',
  'message',
  0,
  -1,
  1.5,
  7,
  2 ** 60,
  true,
  false,
  [],
  ['x'],
  [{ name: 'n' }],
  {},
  { full_name: 'o/r' },
  { id: 'i', name: 'n', type: 't', key: 'K' },
];

/** `value` with the field at `path` set to `replacement` (dropped when undefined), copied on the way. */
function broken(value: unknown, path: string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  if (typeof value !== 'object' || value === null) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value };
  const next = broken(copy[head], rest, replacement);
  if (next === undefined && rest.length === 0) delete copy[head];
  else copy[head] = next;
  return copy;
}

/** Every field the schema gave back has the same value in what the quick reader gave back. */
function expectSameFields(schemaRead: unknown, quickRead: unknown, where = 'value'): void {
  if (typeof schemaRead !== 'object' || schemaRead === null) {
    expect(quickRead, where).toEqual(schemaRead);
    return;
  }
  expect(typeof quickRead, where).toBe('object');
  for (const [key, value] of Object.entries(schemaRead))
    expectSameFields(value, (quickRead as Record<string, unknown>)[key], `${where}.${key}`);
}

describe.each(pairs)('the quick reader of the $name', (pair) => {
  it('accepts every real payload, reading what the schema reads', () => {
    for (const sample of pair.samples()) {
      const schemaRead = pair.schema.safeParse(sample);
      expect(schemaRead.success).toBe(true);
      const quickRead = pair.quick(sample);
      expect(quickRead).toBeDefined();
      expectSameFields(schemaRead.data, quickRead);
    }
  });

  it('accepts nothing the schema refuses, and reads the same fields as the schema when it accepts', () => {
    const samples = pair.samples();
    const breakage = fc.record({
      sample: fc.nat({ max: samples.length - 1 }),
      changes: fc.array(fc.tuple(fc.constantFrom(...pair.paths), fc.constantFrom(...REPLACEMENTS)), {
        minLength: 1,
        maxLength: 3,
      }),
    });
    fc.assert(
      fc.property(breakage, ({ sample, changes }) => {
        let value: unknown = structuredClone(samples[sample]);
        for (const [path, replacement] of changes) value = broken(value, path, replacement);
        const quickRead = pair.quick(value);
        const schemaRead = pair.schema.safeParse(value);
        if (quickRead === undefined) return;
        expect(schemaRead.success, JSON.stringify(changes)).toBe(true);
        expectSameFields(schemaRead.data, quickRead);
      }),
      { numRuns: 3000 },
    );
  });
});
