import { describe, expect, it } from 'vitest';
import type { OutputFeedback, ReplyAuthor } from '../src/index.ts';
import type { FactoryHarness, HarnessOptions } from '../src/testing/index.ts';
import { stage } from './support.ts';

const MINUTE = 60_000;
const grace = { agents: { outputGrace: '30m', checkInterval: '5m', timeout: '2h' } } as const;

/** Counts the output target's lookups by branch, the only reads a lost event may cost. */
function countLookups(h: FactoryHarness): { count: number } {
  const counter = { count: 0 };
  const original = h.outputs.findOutput.bind(h.outputs);
  h.outputs.findOutput = async (repository, branch) => {
    counter.count++;
    return original(repository, branch);
  };
  return counter;
}

const succeeded = { type: 'agent.exited', agentId: 'agent-1', outcome: 'succeeded', exitCode: 0 } as const;

describe('an output event that never arrives', () => {
  it('costs nothing when the pull request is ready at exit: one lookup, done, one agent, no retry', async () => {
    const { h, item } = await stage('dispatched', { settings: { ...grace, retry: { maxAttempts: 3 } } });
    const lookups = countLookups(h);
    h.output(item, 'ready'); // the code host has it; the event is lost on the way

    const exited = await h.factory.handle(succeeded);

    expect(exited.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(lookups.count).toBe(1);
    expect(h.fleet.spawnCalls).toBe(1);
    expect((await h.record(item.id))?.attempts).toBe(1);
    expect(h.tracker.stateOf(item.id)).toBe('done');
  });

  it('is looked up once more before the attempt would fail, and completes the item if the output became ready', async () => {
    const { h, item } = await stage('dispatched', { settings: { ...grace, retry: { maxAttempts: 3 } } });
    const lookups = countLookups(h);
    h.output(item, 'draft');
    await h.factory.handle(succeeded);
    expect(await h.status(item.id)).toBe('dispatched');

    for (let minute = 5; minute < 30; minute += 5) {
      h.clock.advance(5 * MINUTE);
      await h.factory.handle({ type: 'tick' });
    }
    expect(lookups.count).toBe(1); // no sweep while the grace runs
    h.output(item, 'ready'); // made ready later; that event is lost too

    h.clock.advance(5 * MINUTE);
    const tick = await h.factory.handle({ type: 'tick' });

    expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
    expect(lookups.count).toBe(2);
    expect(h.fleet.spawnCalls).toBe(1);
  });

  it('with the pull request still a draft, waits out the grace and then fails the attempt as before', async () => {
    const { h, item } = await stage('dispatched', { settings: { ...grace, retry: { maxAttempts: 1 } } });
    const lookups = countLookups(h);
    h.output(item, 'draft');
    await h.factory.handle(succeeded);

    h.clock.advance(29 * MINUTE);
    await h.factory.handle({ type: 'tick' });
    expect(await h.status(item.id)).toBe('dispatched');

    h.clock.advance(1 * MINUTE);
    const tick = await h.factory.handle({ type: 'tick' });
    expect(tick.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→failed']);
    expect((await h.record(item.id))?.reason).toBe('the agent finished without a ready output');
    expect(lookups.count).toBe(2);
  });

  it('with no pull request at all, the lookups find nothing and change nothing until the grace ends', async () => {
    const { h, item } = await stage('dispatched', { settings: { ...grace, retry: { maxAttempts: 1 } } });
    const lookups = countLookups(h);
    const exited = await h.factory.handle(succeeded);
    expect(exited.reason).toBe('agent finished; waiting for its output');
    h.clock.advance(30 * MINUTE);
    await h.factory.handle({ type: 'tick' });
    expect(await h.status(item.id)).toBe('failed');
    expect(lookups.count).toBe(2);
  });

  it('a lookup that fails is not fatal: the item waits for the event or the next moment', async () => {
    const { h, item } = await stage('dispatched', { settings: { ...grace, retry: { maxAttempts: 1 } } });
    h.outputs.findOutput = async () => {
      throw new Error('code host unavailable');
    };
    const exited = await h.factory.handle(succeeded);
    expect(exited.outcome).not.toBe('failed');
    expect(await h.status(item.id)).toBe('dispatched');
    // The event arrives after all.
    const done = await h.factory.handle(h.output(item, 'ready'));
    expect(done.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
  });
});

describe('an output ready for review while completion waits for the merge', () => {
  const merged = { settings: { ...grace, completion: { on: 'merged' as const }, retry: { maxAttempts: 3 } } };

  it('is not failed when the agent’s grace ends: the output is there, a person reviews it', async () => {
    const { h, item } = await stage('dispatched', merged);
    await h.factory.handle(h.output(item, 'ready'));
    await h.factory.handle(succeeded);

    h.clock.advance(3 * 60 * MINUTE);
    await h.factory.handle({ type: 'tick' });

    expect(await h.status(item.id)).toBe('dispatched');
    expect(h.fleet.spawnCalls).toBe(1);
    const done = await h.factory.handle(h.output(item, 'merged'));
    expect(done.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);
  });
});

const reviewer: ReplyAuthor = { id: 'mona', trusted: true, reason: 'author_association MEMBER' };
const stranger: ReplyAuthor = { id: 'drive-by', trusted: false, reason: 'author_association NONE' };

function changesRequested(id: string, author = reviewer): OutputFeedback {
  return { kind: 'review', id, author, verdict: 'changes-requested', body: 'Add a test.', comments: [] };
}

describe('an output waiting for review whose next event never arrives', () => {
  const check = { completion: { on: 'merged' as const, checkInterval: '15m' } };
  const merged = { settings: { ...grace, ...check, retry: { maxAttempts: 3 } } };

  /** Counts the output target's reads by id: what the review check costs. */
  function countReads(h: FactoryHarness): { count: number } {
    const counter = { count: 0 };
    const original = h.outputs.getOutput.bind(h.outputs);
    h.outputs.getOutput = async (id) => {
      counter.count++;
      return original(id);
    };
    return counter;
  }

  async function inReview(options: HarnessOptions = merged) {
    const staged = await stage('dispatched', options);
    await staged.h.factory.handle(staged.h.output(staged.item, 'ready'));
    await staged.h.factory.handle(succeeded);
    return { ...staged, reads: countReads(staged.h) };
  }

  async function tickFor(h: FactoryHarness, minutes: number) {
    const transitions: string[] = [];
    for (let minute = 0; minute < minutes; minute += 5) {
      h.clock.advance(5 * MINUTE);
      const tick = await h.factory.handle({ type: 'tick' });
      transitions.push(...tick.transitions.map((t) => `${t.from}→${t.to}`));
    }
    return transitions;
  }

  it('is read once per completion.checkInterval, and its merge completes the item although its event was lost', async () => {
    const { h, item, reads } = await inReview();

    expect(await tickFor(h, 10)).toEqual([]);
    expect(reads.count).toBe(0); // not before the first interval has passed

    await tickFor(h, 5);
    expect(reads.count).toBe(1);
    await tickFor(h, 15);
    expect(reads.count).toBe(2);
    expect(await h.status(item.id)).toBe('dispatched');

    h.output(item, 'merged'); // merged by a person; the event is lost on the way
    expect(await tickFor(h, 15)).toEqual(['dispatched→done']);
    expect(reads.count).toBe(3);
    expect(h.tracker.stateOf(item.id)).toBe('done');
    expect((await h.record(item.id))?.reason).toBe('output merged: https://code.example/acme/app/pull/1');
    expect(h.fleet.spawnCalls).toBe(1);

    await tickFor(h, 60);
    expect(reads.count).toBe(3); // a finished item is read no more
  });

  it('an output still waiting is read again without changing anything but when it is read next', async () => {
    const { h, item, reads } = await inReview();
    const before = await h.record(item.id);

    await tickFor(h, 15);

    const after = await h.record(item.id);
    expect(reads.count).toBe(1);
    expect(after?.status).toBe('dispatched');
    expect(after?.output).toEqual(before?.output);
    expect(after?.pending).toEqual([]);
    expect(after?.dispatch?.checkAt).toBe(h.clock.now() + 15 * MINUTE);
    expect(after?.wakeAt).toBe(h.clock.now() + 15 * MINUTE);
  });

  it('closed without merging, found by the check: the attempt fails and the item queues for a retry', async () => {
    const { h, item } = await inReview();
    h.output(item, 'closed');

    expect(await tickFor(h, 15)).toEqual(['dispatched→queued']);
    expect((await h.record(item.id))?.reason).toBe(
      'attempt 1 failed (the output https://code.example/acme/app/pull/1 was closed without merging); retrying',
    );
  });

  it('turned back into a draft, found by the check: the tracker shows the item in progress again', async () => {
    const { h, item } = await inReview();
    expect(h.tracker.stateOf(item.id)).toBe('needs-review');
    h.output(item, 'draft');

    await tickFor(h, 15);

    expect(await h.status(item.id)).toBe('dispatched');
    expect((await h.record(item.id))?.output?.state).toBe('draft');
    expect(h.tracker.stateOf(item.id)).toBe('dispatched');
  });

  it('a read that fails changes nothing, and the next check reads again', async () => {
    const { h, item } = await inReview();
    let failing = true;
    const original = h.outputs.getOutput.bind(h.outputs);
    h.outputs.getOutput = async (id) => {
      if (failing) throw new Error('code host unavailable');
      return original(id);
    };
    h.output(item, 'merged');

    expect(await tickFor(h, 15)).toEqual([]);
    expect(await h.status(item.id)).toBe('dispatched');

    failing = false;
    expect(await tickFor(h, 15)).toEqual(['dispatched→done']);
  });

  it('a review asking for changes whose event was lost is found by the check and starts its round', async () => {
    const { h, item } = await inReview();
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:7')), h.clock.now() + MINUTE);

    expect(await tickFor(h, 15)).toEqual(['dispatched→queued', 'queued→dispatched']);

    const record = await h.record(item.id);
    expect(record?.feedback?.rounds).toBe(1);
    expect(record?.feedback?.given.map((note) => note.id)).toEqual(['review:7']);
    expect(h.fleet.spawnCalls).toBe(2);
    expect(h.outputs.commentsOn('acme/app#1').at(-1)).toMatch(/round 1/i);
  });

  it('a comment addressed to the agent and a review, both lost, start one round at the check, oldest first', async () => {
    const { h, item } = await inReview();
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:8')), h.clock.now() + 2 * MINUTE);
    h.outputs.giveFeedback(
      h.feedback(item, {
        kind: 'comment',
        id: 'comment:5',
        author: reviewer,
        body: '/factory cover the empty list',
      }),
      h.clock.now() + MINUTE,
    );

    expect(await tickFor(h, 15)).toEqual(['dispatched→queued', 'queued→dispatched']);

    const record = await h.record(item.id);
    expect(record?.feedback?.rounds).toBe(1);
    expect(record?.feedback?.given.map((note) => note.id)).toEqual(['comment:5', 'review:8']);
    expect(h.fleet.spawnCalls).toBe(2);
  });

  it('a failed check whose event was lost is found by the check and starts its round', async () => {
    const { h, item } = await inReview();
    const failed: OutputFeedback = {
      kind: 'check-failed',
      id: 'check_run:4',
      name: 'test',
      conclusion: 'failure',
    };
    h.outputs.giveFeedback(h.feedback(item, failed), h.clock.now() + MINUTE);

    expect(await tickFor(h, 15)).toEqual(['dispatched→queued', 'queued→dispatched']);
    expect((await h.record(item.id))?.feedback?.given.map((note) => note.id)).toEqual(['check_run:4']);
  });

  it('a review taken from its event, or given before the attempt started, or by a stranger, is not taken again', async () => {
    const { h, item } = await inReview();
    const started = (await h.record(item.id))?.dispatch?.dispatchedAt ?? 0;
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:1')), started - 1);
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:2', stranger)), h.clock.now());
    const delivered = h.outputs.giveFeedback(h.feedback(item, changesRequested('review:3')), h.clock.now());
    await h.factory.handle(delivered);
    const round = await h.record(item.id);
    expect(round?.feedback?.rounds).toBe(1);
    // The round's agent finishes and its output is ready again; the check finds nothing new.
    const agent = round?.dispatch?.agentId ?? '';
    await h.factory.handle(h.output(item, 'ready'));
    await h.factory.handle({ ...succeeded, agentId: agent });

    expect(await tickFor(h, 30)).toEqual([]);
    expect((await h.record(item.id))?.feedback?.rounds).toBe(1);
    expect(h.fleet.spawnCalls).toBe(2);
  });

  it('a review whose event was lost while its round waited for a slot is found by the check after the round', async () => {
    const { h, item } = await inReview({ settings: { ...merged.settings, limits: { maxInFlight: 2 } } });
    // A second item takes the other slot and a third waits, so the round the delivered review starts
    // waits in the queue behind it.
    const [second, third] = [h.clearItem('item-2'), h.clearItem('item-3')];
    await h.factory.handle(h.changed(second));
    await h.factory.handle(h.changed(third));
    h.clock.advance(MINUTE);
    const delivered = h.outputs.giveFeedback(h.feedback(item, changesRequested('review:5')), h.clock.now());
    await h.factory.handle(delivered);
    expect(await h.status(item.id)).toBe('queued');
    expect(await h.status(third.id)).toBe('dispatched');
    h.clock.advance(MINUTE);
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:6')), h.clock.now());
    h.clock.advance(MINUTE);
    // A slot frees: the round's agent starts after the lost review was given, without it.
    await h.factory.handle(h.output(second, 'merged'));
    const round = await h.record(item.id);
    expect(round?.status).toBe('dispatched');
    expect(round?.feedback?.given.map((note) => note.id)).toEqual(['review:5']);
    await h.factory.handle(h.output(item, 'ready'));
    await h.factory.handle({ ...succeeded, agentId: round?.dispatch?.agentId ?? '' });

    expect(await tickFor(h, 15)).toContain('dispatched→queued');
    const next = await h.record(item.id);
    expect(next?.feedback?.rounds).toBe(2);
    expect(next?.feedback?.given.map((note) => note.id)).toEqual(['review:6']);
  });

  it('with feedback rounds off, the check asks for no feedback', async () => {
    const { h, item } = await inReview({ settings: { ...merged.settings, feedback: { maxRounds: 0 } } });
    let asked = 0;
    h.outputs.feedbackSince = async () => {
      asked++;
      return [];
    };
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:9')), h.clock.now());

    await tickFor(h, 30);

    expect(asked).toBe(0);
    expect(await h.status(item.id)).toBe('dispatched');
  });

  it('a failed listing of feedback changes nothing, and the next check lists again', async () => {
    const { h, item } = await inReview();
    let failing = true;
    const original = h.outputs.feedbackSince.bind(h.outputs);
    h.outputs.feedbackSince = async (...args) => {
      if (failing) throw new Error('code host unavailable');
      return original(...args);
    };
    h.outputs.giveFeedback(h.feedback(item, changesRequested('review:4')), h.clock.now());

    expect(await tickFor(h, 15)).toEqual([]);
    failing = false;
    expect(await tickFor(h, 15)).toEqual(['dispatched→queued', 'queued→dispatched']);
  });

  it('its merge event arriving after all is applied once; the check then finds nothing to do', async () => {
    const { h, item, reads } = await inReview();
    const done = await h.factory.handle(h.output(item, 'merged'));
    expect(done.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['dispatched→done']);

    expect(await tickFor(h, 30)).toEqual([]);
    expect(reads.count).toBe(0);
  });
});
