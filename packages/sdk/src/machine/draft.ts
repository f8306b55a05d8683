import type { Transition } from '../pipeline/result.ts';
import type { PendingEffect, PendingEffectKind, WorkItemRecord, WorkItemStatus } from '../record.ts';
import type { WorkItem } from '../work-item.ts';
import { sealVersion, type VersionContext } from './next-version.ts';

const HISTORY_LIMIT = 50;

type EffectBody = PendingEffect extends infer E ? (E extends PendingEffect ? Omit<E, 'id'> : never) : never;

/**
 * The next version of one record while an action decides it. Records are immutable values: `record` is
 * a shallow copy of the stored one, so an action assigns its top-level fields and replaces — never
 * changes — what they hold (`{ ...record.dispatch, exitedAt }`, `[...pending, effect]`). What it did not
 * replace is shared with the stored version, which nobody may change.
 */
export class Draft {
  readonly transitions: Transition[] = [];
  readonly record: WorkItemRecord;
  readonly base: WorkItemRecord | undefined;
  readonly now: number;

  private constructor(record: WorkItemRecord, base: WorkItemRecord | undefined, now: number) {
    this.record = record;
    this.base = base;
    this.now = now;
  }

  /** The next version of an existing record. */
  static from(current: WorkItemRecord, now: number): Draft {
    return new Draft({ ...current, version: current.version + 1, updatedAt: now }, current, now);
  }

  /** A first record for an item the factory has not seen, in status `new`. */
  static create(item: WorkItem, event: string, now: number): Draft {
    const record: WorkItemRecord = {
      workItemId: item.id,
      version: 1,
      run: 1,
      status: 'new',
      reason: 'first seen',
      item,
      attempts: 0,
      pending: [],
      history: [],
      createdAt: now,
      updatedAt: now,
    };
    const draft = new Draft(record, undefined, now);
    draft.#history(null, 'new', event, 'first seen');
    return draft;
  }

  /**
   * Moves to `to`. Whether the table allows the move is checked once the action is done, before
   * anything is written (`machine/apply.ts`).
   */
  moveTo(to: WorkItemStatus, reason: string, event: string): this {
    const from = this.record.status;
    this.record.status = to;
    this.record.reason = reason;
    this.#history(from, to, event, reason);
    const transition: Transition = { workItemId: this.record.workItemId, from, to, reason };
    if (to === 'dispatched' && this.record.attempts === 1) {
      const began = this.record.history.findLast((entry) => entry.to === 'new');
      if (began) transition.waitedMs = this.now - began.at;
    }
    const dispatchedAt = this.record.dispatch?.dispatchedAt;
    if (from === 'dispatched' && to !== 'dispatched' && dispatchedAt !== undefined)
      transition.ranMs = Math.max(0, this.now - dispatchedAt);
    this.transitions.push(transition);
    return this;
  }

  /** Starts a new run for a finished item that became ready again. */
  reopen(item: WorkItem, event: string): this {
    this.record.item = item;
    this.moveTo('new', 'ready again', event);
    this.record.run += 1;
    this.record.attempts = 0;
    for (const field of [
      'route',
      'clarification',
      'queuedAt',
      'retryAt',
      'blockedBy',
      'blockCheckAt',
      'dispatch',
      'output',
      'feedback',
    ] as const) {
      delete this.record[field];
    }
    return this;
  }

  /** Appends effects to the outbox; their ids are unique within the record's life. */
  addEffects(...effects: EffectBody[]): this {
    const offset = this.record.pending.length;
    this.record.pending = [
      ...this.record.pending,
      ...effects.map(
        (effect, index) =>
          ({ ...effect, id: `v${this.record.version}.${offset + index}.${effect.kind}` }) as PendingEffect,
      ),
    ];
    return this;
  }

  /** Drops effects that no longer make sense, e.g. a spawn for an item that was just cancelled. */
  dropEffects(...kinds: PendingEffectKind[]): this {
    this.record.pending = this.record.pending.filter((effect) => !kinds.includes(effect.kind));
    return this;
  }

  get changedStatus(): boolean {
    return this.transitions.length > 0;
  }

  /**
   * The version to write: the lease is taken when the outbox gained effects this call must perform. The
   * draft's record is this decision's own copy, so it becomes the version itself (`sealVersion`); the
   * draft is done with once sealed.
   */
  seal(context: Omit<VersionContext, 'now'>): WorkItemRecord {
    return sealVersion(this.base, this.record, this.#hasNewEffects() ? 'take' : 'keep', {
      settings: context.settings,
      owner: context.owner,
      now: this.now,
    });
  }

  #hasNewEffects(): boolean {
    const before = this.base?.pending ?? [];
    for (const effect of this.record.pending) {
      let known = false;
      for (const existing of before)
        if (existing.id === effect.id) {
          known = true;
          break;
        }
      if (!known) return true;
    }
    return false;
  }

  #history(from: WorkItemStatus | null, to: WorkItemStatus, event: string, reason: string): void {
    const history = this.record.history;
    const entry = { at: this.now, from, to, event, reason };
    // One new list per entry: the oldest entries beyond the limit are left out as it is built.
    this.record.history =
      history.length < HISTORY_LIMIT ? [...history, entry] : [...history.slice(1 - HISTORY_LIMIT), entry];
  }
}
