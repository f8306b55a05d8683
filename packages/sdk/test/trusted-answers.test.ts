import { describe, expect, it } from 'vitest';
import type { ClarificationRepliedEvent, FactoryEvent } from '../src/index.ts';
import { stage, storeSnapshot } from './support.ts';

const CLEAR_ANSWER =
  'Add a retry to the export job; it should stop after three attempts. Done when the test for retries passes.';

function reply(author: ClarificationRepliedEvent['author'], messageId = 'm-1'): ClarificationRepliedEvent {
  return { type: 'clarification.replied', threadId: 'thread-1', messageId, text: CLEAR_ANSWER, author };
}

describe('an answer counts only from an author the channel trusts', () => {
  it('ignores a stranger’s reply with the channel’s reason: nothing written, nothing said in the thread', async () => {
    const { h } = await stage('waiting-clarification');
    const before = await storeSnapshot(h);
    const repliesBefore = [...(h.chat.threads.get('thread-1')?.replies ?? [])];

    const result = await h.factory.handle(
      reply({ id: 'octocat', trusted: false, reason: 'author_association NONE' }),
    );

    expect(result).toMatchObject({
      outcome: 'ignored',
      workItemId: 'item-1',
      reason: 'reply ignored: octocat is not a trusted author (author_association NONE)',
      transitions: [],
      effects: [],
    });
    expect(await storeSnapshot(h)).toEqual(before);
    expect(h.chat.threads.get('thread-1')?.replies).toEqual(repliesBefore);
    expect(h.fleet.agents.size).toBe(0);
    expect(h.logger.lines.at(-1)).toMatchObject({
      message: 'event handled',
      fields: { outcome: 'ignored', reason: result.reason },
    });
    // The stranger's text is in no log line.
    expect(JSON.stringify(h.logger.lines)).not.toContain('three attempts');
  });

  it('takes the same answer from a trusted author, after a stranger’s was ignored', async () => {
    const { h } = await stage('waiting-clarification');
    await h.factory.handle(reply({ id: 'octocat', trusted: false, reason: 'author_association NONE' }));

    const result = await h.factory.handle(
      reply({ id: 'ana', name: 'Ana', trusted: true, reason: 'author_association MEMBER' }, 'm-2'),
    );

    expect(result.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['waiting-clarification→dispatched']);
    const answers = (await h.record('item-1'))?.clarification?.answers;
    expect(answers?.map((answer) => [answer.messageId, answer.author])).toEqual([['m-2', 'Ana']]);
    expect(h.fleet.agents.get('agent-1')?.request.task).toContain('From: Ana');
  });

  it('does not trust a reply whose channel gave no verdict (an author as a bare name)', async () => {
    const { h } = await stage('waiting-clarification');
    const before = await storeSnapshot(h);
    const legacy = {
      ...reply({ id: 'x', trusted: true, reason: '' }),
      author: 'ana',
    } as unknown as FactoryEvent;

    const result = await h.factory.handle(legacy);

    expect(result.outcome).toBe('ignored');
    expect(result.reason).toBe(
      'reply ignored: the channel did not say who wrote it or whether they are trusted',
    );
    expect(await storeSnapshot(h)).toEqual(before);
  });

  it('still says a reply in a thread it is not waiting on is just that', async () => {
    const { h } = await stage('waiting-clarification');
    const result = await h.factory.handle({
      ...reply({ id: 'octocat', trusted: false, reason: 'author_association NONE' }),
      threadId: 'thread-9',
    });
    expect(result.reason).toBe('not a thread the factory is waiting on');
  });
});
