import { assertTransition } from '../lifecycle.ts';
import type { PendingEffect, PendingEffectKind, WorkItemRecord, WorkItemStatus } from '../record.ts';
import type { FactorySettings } from '../settings.ts';
import type { WorkItem } from '../work-item.ts';
import type { HandlerContext } from './context.ts';
import type { Transition } from './result.ts';

const HISTORY_LIMIT = 50;

type EffectBody = PendingEffect extends infer E ? (E extends PendingEffect ? Omit<E, 'id'> : never) : never;

/** A record being prepared for one compare-and-set write. */
export class Draft {
  readonly transitions: Transition[] = [];
  readonly record: WorkItemRecord;
  readonly #base: WorkItemRecord | undefined;

  private constructor(record: WorkItemRecord, base: WorkItemRecord | undefined) {
    this.record = record;
    this.#base = base;
  }

  /** The next version of an existing record. */
  static from(current: WorkItemRecord, now: number): Draft {
    const record = structuredClone(current);
    record.version = current.version + 1;
    record.updatedAt = now;
    return new Draft(record, current);
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
    const draft = new Draft(record, undefined);
    draft.#history(null, 'new', event, 'first seen', now);
    return draft;
  }

  get base(): WorkItemRecord | undefined {
    return this.#base;
  }

  /** Moves to `to` if the lifecycle table allows it; throws otherwise. */
  moveTo(to: WorkItemStatus, reason: string, event: string): this {
    const from = this.record.status;
    assertTransition(from, to);
    this.record.status = to;
    this.record.reason = reason;
    this.#history(from, to, event, reason, this.record.updatedAt);
    const transition: Transition = { workItemId: this.record.workItemId, from, to, reason };
    if (to === 'dispatched' && this.record.attempts === 1) {
      const began = [...this.record.history].reverse().find((entry) => entry.to === 'new');
      if (began) transition.waitedMs = this.record.updatedAt - began.at;
    }
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
    ] as const) {
      delete this.record[field];
    }
    return this;
  }

  /** Appends effects to the outbox; their ids are unique within the record's life. */
  addEffects(...effects: EffectBody[]): this {
    const offset = this.record.pending.length;
    effects.forEach((effect, index) => {
      this.record.pending.push({
        ...effect,
        id: `v${this.record.version}.${offset + index}.${effect.kind}`,
      } as PendingEffect);
    });
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

  /** Fills in the lease and wake time; call last, right before writing. */
  seal(context: HandlerContext): WorkItemRecord {
    const now = this.record.updatedAt;
    const hasNewEffects = this.record.pending.some(
      (effect) => !this.#base?.pending.some((existing) => existing.id === effect.id),
    );
    if (this.record.pending.length === 0) {
      delete this.record.leaseUntil;
      delete this.record.leaseOwner;
    } else if (hasNewEffects) {
      this.record.leaseUntil = now + context.settings.effectLease;
      this.record.leaseOwner = context.owner;
    }
    const wakeAt = computeWakeAt(this.record, context.settings);
    if (wakeAt === undefined) delete this.record.wakeAt;
    else this.record.wakeAt = wakeAt;
    return this.record;
  }

  #history(from: WorkItemStatus | null, to: WorkItemStatus, event: string, reason: string, at: number): void {
    this.record.history.push({ at, from, to, event, reason });
    if (this.record.history.length > HISTORY_LIMIT)
      this.record.history.splice(0, this.record.history.length - HISTORY_LIMIT);
  }
}

/** The earliest moment the tick must look at the record again, from what it waits for. */
export function computeWakeAt(record: WorkItemRecord, settings: FactorySettings): number | undefined {
  const times: number[] = [];
  if (record.pending.length > 0) times.push(record.leaseUntil ?? record.updatedAt);
  switch (record.status) {
    case 'new':
      // Only stored as `new` when triage failed: retry it.
      times.push(record.updatedAt + settings.effectLease);
      break;
    case 'waiting-clarification':
      if (record.clarification) times.push(record.clarification.expiresAt);
      break;
    case 'queued':
      if (record.retryAt !== undefined) times.push(record.retryAt);
      break;
    case 'blocked':
      if (record.blockCheckAt !== undefined) times.push(record.blockCheckAt);
      break;
    case 'dispatched':
      // A ready output waiting for its merge is decided by a person, not by a timer.
      if (record.dispatch && record.output?.state !== 'ready') {
        const { dispatchedAt, exitedAt, checkAt } = record.dispatch;
        times.push(checkAt);
        times.push(
          exitedAt === undefined
            ? dispatchedAt + settings.agents.timeout
            : exitedAt + settings.agents.outputGrace,
        );
      }
      break;
    default:
      break;
  }
  return times.length > 0 ? Math.min(...times) : undefined;
}
