import type { FactoryEvent, HandleResult } from '@software-factory/sdk';

/**
 * The demo's live output: one line per thing that happened, readable without knowing the factory.
 *
 *   0.4s  DEMO-1  new → dispatched        dispatched to demo
 */
export class DemoTimeline {
  readonly #write: (line: string) => void;
  readonly #keys: ReadonlyMap<string, string>;
  readonly #started: number;

  constructor(keys: ReadonlyMap<string, string>, write: (line: string) => void, started = Date.now()) {
    this.#keys = keys;
    this.#write = write;
    this.#started = started;
  }

  /** Something the demo itself did (wrote a file, answered a question). */
  note(key: string, text: string): void {
    this.#line(key, text);
  }

  /** What the factory did with one event. */
  result(event: FactoryEvent, result: HandleResult): void {
    const key = this.#key(result.workItemId);
    if (event.type === 'output.changed' && result.transitions.length > 0)
      this.#line(
        this.#key(result.transitions[0]?.workItemId),
        `pull request ${event.output.id} is ${event.output.state}`,
      );
    for (const transition of result.transitions) {
      const from = transition.from ?? 'seen';
      this.#line(
        this.#key(transition.workItemId),
        `${`${from} → ${transition.to}`.padEnd(36)}${transition.reason}`,
      );
    }
    for (const effect of result.effects) {
      const said = describeEffect(effect);
      // One event can move several items (a completion starts the next queued one): an effect belongs
      // to the item whose transition calls for it.
      const owner = result.transitions.findLast((transition) => transition.to === said?.after)?.workItemId;
      if (said) this.#line(owner ? this.#key(owner) : key, said.text);
    }
  }

  #key(workItemId: string | undefined): string {
    return (workItemId && this.#keys.get(workItemId)) ?? 'factory';
  }

  #line(key: string, text: string): void {
    const seconds = ((Date.now() - this.#started) / 1000).toFixed(1);
    this.#write(`${`${seconds}s`.padStart(6)}  ${key.padEnd(7)} ${text}`);
  }
}

function describeEffect(effect: string): { text: string; after: string } | undefined {
  if (effect.startsWith('open-thread'))
    return { text: '  asked a question in the chat thread', after: 'waiting-clarification' };
  if (effect.startsWith('spawn '))
    return { text: `  started agent ${effect.slice('spawn '.length)}`, after: 'dispatched' };
  if (effect === 'set-state done') return { text: '  moved the tracker issue to Done', after: 'done' };
  if (effect === 'comment completed')
    return { text: '  commented the pull request link on the issue', after: 'done' };
  return undefined;
}
