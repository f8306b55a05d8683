import * as z from 'zod/mini';
import { LambdaEventError } from './lambda-http-event.ts';

/**
 * The Input the template's EventBridge Scheduler schedule sends (Scheduler has no envelope of its own:
 * it delivers the configured Input with its `<aws.scheduler.*>` placeholders filled in).
 */
const schedulerInput = z.looseObject({
  source: z.literal('factory.tick'),
  scheduledTime: z.optional(z.string()),
  executionId: z.optional(z.string()),
});

/** An EventBridge rule's `rate()`/`cron()` event, for deployments that tick from a rule instead. */
const scheduledRuleEvent = z.looseObject({
  source: z.literal('aws.events'),
  'detail-type': z.literal('Scheduled Event'),
  time: z.optional(z.string()),
  id: z.optional(z.string()),
});

export interface TickInvocation {
  /** Where the tick came from, for the logs. */
  trigger: 'scheduler' | 'eventbridge-rule';
  scheduledTime?: string;
  invocationId?: string;
}

/** Accepts the two schedule shapes; anything else is a wiring mistake and is refused, so nothing runs. */
export function parseTickInvocation(event: unknown): TickInvocation {
  const fromScheduler = schedulerInput.safeParse(event);
  if (fromScheduler.success) {
    const { scheduledTime, executionId } = fromScheduler.data;
    return {
      trigger: 'scheduler',
      ...(scheduledTime ? { scheduledTime } : {}),
      ...(executionId ? { invocationId: executionId } : {}),
    };
  }
  const fromRule = scheduledRuleEvent.safeParse(event);
  if (fromRule.success) {
    const { time, id } = fromRule.data;
    return {
      trigger: 'eventbridge-rule',
      ...(time ? { scheduledTime: time } : {}),
      ...(id ? { invocationId: id } : {}),
    };
  }
  throw new LambdaEventError(
    `not a tick: expected the schedule Input {"source":"factory.tick",…} or an EventBridge "Scheduled Event", got ${describe(event)}`,
  );
}

function describe(event: unknown): string {
  if (typeof event !== 'object' || event === null) return JSON.stringify(event) ?? String(event);
  const { source, 'detail-type': detailType } = event as Record<string, unknown>;
  if (source !== undefined || detailType !== undefined) {
    return `source ${JSON.stringify(source)}, detail-type ${JSON.stringify(detailType)}`;
  }
  return `an object with keys ${Object.keys(event).slice(0, 8).join(', ') || '(none)'}`;
}
