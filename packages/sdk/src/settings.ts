import * as z from 'zod';
import { durationSchema } from './duration.ts';

export const routeSchema = z
  .object({
    name: z.string().min(1),
    /** Every listed label must be on the item; team and project must equal when given. */
    match: z
      .object({
        labels: z.array(z.string().min(1)).default([]),
        team: z.string().min(1).optional(),
        project: z.string().min(1).optional(),
      })
      .strict()
      .default({ labels: [] }),
    repository: z.string().min(1),
    agent: z.string().min(1),
    maxInFlight: z.number().int().positive().optional(),
  })
  .strict();

/** How one tenant's factory behaves. Provider and runtime choices live in the file config around it. */
const DEFAULT_SCOPE = { labels: ['factory'] };

export const factorySettingsSchema = z
  .object({
    /**
     * The safety gate: only items inside this opt-in scope are ever dispatched, on top of the provider's
     * readiness. Narrow by default (the label `factory`); loosening it is a deliberate change.
     */
    scope: z
      .object({
        /** Every one of these labels must be on the item. */
        labels: z.array(z.string().min(1)).default(DEFAULT_SCOPE.labels),
        titlePrefix: z.string().min(1).optional(),
        /** The item's team must be one of these. */
        teams: z.array(z.string().min(1)).min(1).optional(),
        /** The item's project must be one of these. */
        projects: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .default(DEFAULT_SCOPE),
    routes: z.array(routeSchema).default([]),
    limits: z
      .object({ maxInFlight: z.number().int().positive().default(3) })
      .strict()
      .default({ maxInFlight: 3 }),
    clarification: z
      .object({
        /** Below this triage confidence the factory asks instead of dispatching. */
        confidenceThreshold: z.number().min(0).max(1).default(0.6),
        /** Questions per run; after the last answer the item is dispatched as it stands. */
        maxRounds: z.number().int().min(1).default(2),
        /** How long a question waits before a reminder, and again before giving up. */
        wait: durationSchema.default(86_400_000),
      })
      .strict()
      .default({ confidenceThreshold: 0.6, maxRounds: 2, wait: 86_400_000 }),
    retry: z
      .object({
        /** Agent attempts per run, the first included. */
        maxAttempts: z.number().int().min(1).default(2),
        /** Delay before the second attempt; doubles for each further one. */
        backoff: durationSchema.default(60_000),
      })
      .strict()
      .default({ maxAttempts: 2, backoff: 60_000 }),
    completion: z
      .object({ on: z.enum(['ready', 'merged']).default('ready') })
      .strict()
      .default({ on: 'ready' }),
    agents: z
      .object({
        /** A run longer than this is stopped and counted as a failed attempt. */
        timeout: durationSchema.default(7_200_000),
        /** How often the tick asks the fleet whether a silent agent still runs. */
        checkInterval: durationSchema.default(300_000),
        /** How long to wait for a ready output after an agent exited successfully. */
        outputGrace: durationSchema.default(1_800_000),
      })
      .strict()
      .default({ timeout: 7_200_000, checkInterval: 300_000, outputGrace: 1_800_000 }),
    reconcile: z
      .object({
        /** Ask the output target on each tick about outputs of running items (for missed events). */
        outputs: z.boolean().default(false),
      })
      .strict()
      .default({ outputs: false }),
    /** How long an instance may take to perform a transition's effects before another takes over. */
    effectLease: durationSchema.default(30_000),
    /** How long a delivery id is remembered for de-duplication. */
    deliveryMemory: durationSchema.default(86_400_000),
    /**
     * The fleet circuit breaker: after `threshold` consecutive fleet failures (spawn errors, lost agents,
     * timeouts) new spawns pause for `cooldown` (items stay queued), then one probe tries again.
     */
    breaker: z
      .object({
        threshold: z.number().int().min(1).default(5),
        cooldown: durationSchema.default(300_000),
      })
      .strict()
      .default({ threshold: 5, cooldown: 300_000 }),
    /** Triage and plan, but write nothing to any provider or the store and spawn nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict();

export type FactorySettingsInput = z.input<typeof factorySettingsSchema>;
export type FactorySettings = z.output<typeof factorySettingsSchema>;
export type RouteConfig = z.output<typeof routeSchema>;

/** Settings with every default filled in; throws a `ZodError` naming each bad field. */
export function resolveSettings(input: FactorySettingsInput = {}): FactorySettings {
  return factorySettingsSchema.parse(input);
}
