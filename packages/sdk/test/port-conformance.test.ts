import { describe, expect, it } from 'vitest';
import type {
  OutputFeedback,
  OutputSnapshot,
  SpawnedAgent,
  SpawnOptions,
  SpawnRequest,
} from '../src/index.ts';
import {
  clarificationChannelChecks,
  connectionChecks,
  describeChecks,
  FakeClarificationChannel,
  FakeFleet,
  FakeOutputTarget,
  FakeWorkItemProvider,
  fleetClientChecks,
  type OpenedClarificationChannel,
  type OpenedFleet,
  type OpenedOutputTarget,
  type OpenedWebhookSource,
  type OpenedWorkItemProvider,
  outputTargetChecks,
  type PortCheck,
  runCheck,
  sampleWorkItem,
  TestWebhookSource,
  webhookSourceChecks,
  webhookSourceConformance,
  workItemProviderChecks,
} from '../src/testing/index.ts';

const SECRET = 'test-secret';

// The SDK's own signed source, and the fakes the core's tests run on: a fake that passes shows the core's
// tests what a real adapter does. The fakes model no connection, so only the port's own checks apply.

function openTestSource(make = () => new TestWebhookSource(SECRET)) {
  return async (): Promise<OpenedWebhookSource> => ({
    source: make(),
    async deliver({ sentAt, delivery = 1, secret = SECRET, body }) {
      const sent =
        body ??
        JSON.stringify({
          id: `delivery-${delivery}`,
          events: [{ type: 'work-item.changed', item: sampleWorkItem({ id: `item-${delivery}` }) }],
        });
      return { body: sent, headers: await TestWebhookSource.sign(secret, sent, sentAt) };
    },
    calls: () => 0,
  });
}

webhookSourceConformance('TestWebhookSource', openTestSource(), { timestampToleranceMs: 300_000 });

function openFakeFleet(make = () => new FakeFleet()) {
  return async (): Promise<OpenedFleet> => {
    const fleet = make();
    return { fleet, backend: () => ({ started: fleet.agents.size, running: fleet.running().length }) };
  };
}

describeChecks('FakeFleet conforms to FleetClient', fleetClientChecks, openFakeFleet());

function openFakeTracker(make = () => new FakeWorkItemProvider()) {
  return async (): Promise<OpenedWorkItemProvider> => {
    const tracker = make();
    tracker.items.set('item-1', sampleWorkItem({ id: 'item-1', key: 'ENG-1' }));
    return {
      provider: tracker,
      readyItem: 'ENG-1',
      absentItem: 'ENG-999',
      writes: () => tracker.states.length + tracker.comments.length,
      comments: () => tracker.commentsFor('item-1'),
    };
  };
}

describeChecks(
  'FakeWorkItemProvider conforms to WorkItemProvider',
  workItemProviderChecks,
  openFakeTracker(),
);

function openFakeChat(make = () => new FakeClarificationChannel()) {
  return async (): Promise<OpenedClarificationChannel> => {
    const chat = make();
    return {
      channel: chat,
      item: sampleWorkItem(),
      messages: () => [...chat.threads.values()].flatMap((thread) => [thread.question, ...thread.replies]),
    };
  };
}

describeChecks(
  'FakeClarificationChannel conforms to ClarificationChannel',
  clarificationChannelChecks,
  openFakeChat(),
);

const FEEDBACK_CHECK =
  'lists the feedback given since a moment once, oldest first, as its events would bring it; not when taken or older (a target that lists feedback)';

const MONA = { id: 'mona', trusted: true, reason: 'a member' };

const PULL_REQUEST_7 = {
  id: 'acme/app#7',
  url: 'https://code.example/acme/app/pull/7',
  branch: 'factory/eng-1',
};

function openFakeCodeHost(make = () => new FakeOutputTarget()) {
  return async (): Promise<OpenedOutputTarget> => {
    const codeHost = make();
    codeHost.outputs.set('acme/app#7', {
      id: 'acme/app#7',
      url: 'https://code.example/acme/app/pull/7',
      state: 'ready',
      branch: 'factory/eng-1',
      repository: 'acme/app',
    });
    /** Feedback given on pull request 7 at the code host, whose event is never sent; its id. */
    const give = (feedback: OutputFeedback, at: number) =>
      codeHost.giveFeedback({ type: 'output.feedback', output: PULL_REQUEST_7, feedback }, at).feedback.id;
    return {
      target: codeHost,
      output: { id: 'acme/app#7', repository: 'acme/app', branch: 'factory/eng-1' },
      absentId: 'acme/app#99',
      comments: () => codeHost.commentsOn('acme/app#7'),
      submitReview: (at) =>
        give(
          {
            kind: 'review',
            id: 'review:31',
            author: MONA,
            verdict: 'changes-requested',
            body: 'Add a test.',
            comments: [],
          },
          at,
        ),
      failCheck: (at) =>
        give({ kind: 'check-failed', id: 'check_run:3', name: 'test', conclusion: 'failure' }, at),
      writeComment: (at) =>
        give(
          { kind: 'comment', id: 'comment:12', author: MONA, body: '/factory handle the empty list too' },
          at,
        ),
    };
  };
}

describeChecks('FakeOutputTarget conforms to OutputTarget', outputTargetChecks, openFakeCodeHost());

/** The names of the checks that fail for the implementation `open` gives. */
async function failing<World extends object>(
  checks: readonly PortCheck<World>[],
  open: () => Promise<World>,
): Promise<string[]> {
  const failed: string[] = [];
  for (const check of checks) await runCheck(check, open).catch(() => failed.push(check.name));
  return failed;
}

describe('the port suites catch the bugs they exist for', () => {
  it('a source that takes any signature fails every signature check, and only those', async () => {
    class TakesAnything extends TestWebhookSource {
      override async verify(): Promise<void> {}
    }
    const failed = await failing(
      webhookSourceChecks({ timestampToleranceMs: 300_000 }),
      openTestSource(() => new TakesAnything(SECRET)),
    );
    expect(failed).toEqual([
      'refuses (401) a delivery signed with another secret, calling nothing',
      'refuses (401) a delivery without its signature, calling nothing',
      'refuses (401) the signature of another body: another delivery’s, or this one with a byte added',
      'refuses (401) a delivery sent more than 300 s before its clock, calling nothing',
      'refuses (401) a delivery sent more than 300 s after its clock, calling nothing',
    ]);
  });

  it('a source that calls its API before checking the signature is caught touching something', async () => {
    let calls = 0;
    class LooksFirst extends TestWebhookSource {
      override async verify(request: Parameters<TestWebhookSource['verify']>[0]): Promise<void> {
        calls++;
        return super.verify(request);
      }
    }
    const failed = await failing(webhookSourceChecks({ timestampToleranceMs: 300_000 }), async () => ({
      ...(await openTestSource(() => new LooksFirst(SECRET))()),
      calls: () => calls,
    }));
    expect(failed).toContain('refuses (401) a delivery signed with another secret, calling nothing');
    expect(failed).toContain('refuses (400) a correctly signed body that is not JSON, calling nothing');
  });

  it('a source that takes a wider window than it declares fails the window checks', async () => {
    const failed = await failing(webhookSourceChecks({ timestampToleranceMs: 60_000 }), openTestSource());
    // TestWebhookSource takes five minutes either way.
    expect(failed).toEqual([
      'refuses (401) a delivery sent more than 60 s before its clock, calling nothing',
      'refuses (401) a delivery sent more than 60 s after its clock, calling nothing',
    ]);
  });

  it('a fleet that starts an agent on every spawn fails the retry check', async () => {
    class EveryTime extends FakeFleet {
      #calls = 0;
      override spawn(request: SpawnRequest, options?: SpawnOptions): Promise<SpawnedAgent> {
        this.#calls++;
        return super.spawn(
          { ...request, idempotencyKey: `${request.idempotencyKey}#${this.#calls}` },
          options,
        );
      }
    }
    const failed = await failing(
      fleetClientChecks,
      openFakeFleet(() => new EveryTime()),
    );
    expect(failed).toEqual([
      'the same spawn twice (a retry) returns the first agent and starts nothing more',
    ]);
  });

  it('a tracker that comments on every call fails the comment check', async () => {
    class CommentsEveryTime extends FakeWorkItemProvider {
      override postComment(...[item, body, options]: Parameters<FakeWorkItemProvider['postComment']>) {
        return super.postComment(item, body, { ...options, idempotencyKey: crypto.randomUUID() });
      }
    }
    const failed = await failing(
      workItemProviderChecks,
      openFakeTracker(() => new CommentsEveryTime()),
    );
    expect(failed).toEqual([
      'a comment written twice with one idempotency key is one comment; another key is another',
    ]);
  });

  it('a chat that opens a thread on every call fails the question check', async () => {
    class AsksEveryTime extends FakeClarificationChannel {
      override openThread(...[item, question, options]: Parameters<FakeClarificationChannel['openThread']>) {
        return super.openThread(item, question, { ...options, idempotencyKey: crypto.randomUUID() });
      }
    }
    const failed = await failing(
      clarificationChannelChecks,
      openFakeChat(() => new AsksEveryTime()),
    );
    expect(failed).toEqual(['a question asked twice with one idempotency key is one message in one thread']);
  });

  it('a fleet that spawns after its deadline fails the deadline check', async () => {
    class IgnoresDeadline extends FakeFleet {
      override spawn(request: SpawnRequest): Promise<SpawnedAgent> {
        return super.spawn(request);
      }
    }
    const failed = await failing(
      fleetClientChecks,
      openFakeFleet(() => new IgnoresDeadline()),
    );
    expect(failed).toEqual(['a spawn past its deadline (an aborted signal) is refused and starts nothing']);
  });

  it('a chat that writes after its deadline fails the deadline check', async () => {
    class IgnoresDeadline extends FakeClarificationChannel {
      override openThread(...[item, question, options]: Parameters<FakeClarificationChannel['openThread']>) {
        return super.openThread(item, question, { idempotencyKey: options.idempotencyKey });
      }
    }
    const failed = await failing(
      clarificationChannelChecks,
      openFakeChat(() => new IgnoresDeadline()),
    );
    expect(failed).toEqual([
      'past its deadline (an aborted signal) a question or a reply is refused and not posted',
    ]);
  });

  it('a code host that answers any id with its first output fails the unknown-output check', async () => {
    class AnswersAnything extends FakeOutputTarget {
      override async getOutput() {
        return [...this.outputs.values()][0];
      }
    }
    const failed = await failing(
      outputTargetChecks,
      openFakeCodeHost(() => new AnswersAnything()),
    );
    expect(failed).toEqual(['reads undefined for an output it does not hold, and for a branch without one']);
  });

  it('a code host that lists the feedback the factory took already fails the feedback check', async () => {
    class ListsEverything extends FakeOutputTarget {
      override async feedbackSince(output: OutputSnapshot, since: number) {
        return super.feedbackSince(output, since, new Set());
      }
    }
    const failed = await failing(
      outputTargetChecks,
      openFakeCodeHost(() => new ListsEverything()),
    );
    expect(failed).toEqual([FEEDBACK_CHECK]);
  });

  it('a code host that lists its feedback newest first fails the feedback check', async () => {
    class NewestFirst extends FakeOutputTarget {
      override async feedbackSince(output: OutputSnapshot, since: number, known: ReadonlySet<string>) {
        return (await super.feedbackSince(output, since, known)).reverse();
      }
    }
    const failed = await failing(
      outputTargetChecks,
      openFakeCodeHost(() => new NewestFirst()),
    );
    expect(failed).toEqual([FEEDBACK_CHECK]);
  });

  it('a port whose check throws when its vendor is down, or ignores a missing token, fails those checks', async () => {
    let down = false;
    let token: string | undefined = 'token';
    const tracker = new FakeWorkItemProvider();
    tracker.checkConnection = async () => {
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      return token ? { state: 'connected' } : { state: 'connected', identity: 'anonymous' };
    };
    const open = async () => ({
      ...(await openFakeTracker(() => tracker)()),
      stopVendor: async () => {
        down = true;
      },
      credential: {
        remove: () => {
          token = undefined;
        },
        revoke: () => {},
      },
    });
    const failed = await failing(
      connectionChecks((world: OpenedWorkItemProvider) => world.provider),
      open,
    );
    expect(failed).toEqual([
      'checkConnection reports needs-auth, with a reason, when the port has no credential',
      'checkConnection reports needs-auth, with a reason, when the vendor refuses the credential',
      'checkConnection reports an error, and does not throw, when the vendor cannot be reached',
    ]);
  });
});
