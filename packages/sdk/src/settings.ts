import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';
import { durationSchema } from './duration.ts';

// zod/mini carries no messages, so a bundle holds no locale it does not use; the factory's are English,
// as classic zod's default was. Set here because every runtime's core evaluates this module before it
// parses anything (a message is made when a parse fails, not when a schema is built).
z.config(english());

export const routeSchema = z.strictObject({
  name: z.string().check(z.minLength(1)),
  /** Every listed label must be on the item; team and project must equal when given. */
  match: z._default(
    z.strictObject({
      labels: z._default(z.array(z.string().check(z.minLength(1))), []),
      team: z.optional(z.string().check(z.minLength(1))),
      project: z.optional(z.string().check(z.minLength(1))),
    }),
    { labels: [] },
  ),
  repository: z.string().check(z.minLength(1)),
  agent: z.string().check(z.minLength(1)),
  maxInFlight: z.optional(z.int().check(z.positive())),
});

/** How one tenant's factory behaves. Provider and runtime choices live in the file config around it. */
const DEFAULT_SCOPE = { labels: ['factory'] };

export const factorySettingsSchema = z.strictObject({
  /**
   * The safety gate: only items inside this opt-in scope are ever dispatched, on top of the provider's
   * readiness. Narrow by default (the label `factory`); loosening it is a deliberate change.
   */
  scope: z._default(
    z.strictObject({
      /** Every one of these labels must be on the item. */
      labels: z._default(z.array(z.string().check(z.minLength(1))), DEFAULT_SCOPE.labels),
      titlePrefix: z.optional(z.string().check(z.minLength(1))),
      /** The item's team must be one of these. */
      teams: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
      /** The item's project must be one of these. */
      projects: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
    }),
    DEFAULT_SCOPE,
  ),
  routes: z._default(z.array(routeSchema), []),
  limits: z._default(z.strictObject({ maxInFlight: z._default(z.int().check(z.positive()), 3) }), {
    maxInFlight: 3,
  }),
  clarification: z._default(
    z.strictObject({
      /** Below this triage confidence the factory asks instead of dispatching. */
      confidenceThreshold: z._default(z.number().check(z.minimum(0), z.maximum(1)), 0.6),
      /** Questions per run; after the last answer the item is dispatched as it stands. */
      maxRounds: z._default(z.int().check(z.minimum(1)), 2),
      /** How long a question waits before a reminder, and again before giving up. */
      wait: z._default(durationSchema, 86_400_000),
    }),
    { confidenceThreshold: 0.6, maxRounds: 2, wait: 86_400_000 },
  ),
  retry: z._default(
    z.strictObject({
      /** Agent attempts per run, the first included. */
      maxAttempts: z._default(z.int().check(z.minimum(1)), 2),
      /** Delay before the second attempt; doubles for each further one. */
      backoff: z._default(durationSchema, 60_000),
    }),
    { maxAttempts: 2, backoff: 60_000 },
  ),
  completion: z._default(
    z.strictObject({
      on: z._default(z.enum(['ready', 'merged']), 'ready'),
      /**
       * With `on: merged`, how often the tick reads an output that waits for review, so that its merge,
       * close or return to draft, and feedback on it, are applied even when their events never came
       * (GitHub redelivers nothing). Each check costs the code host's API a few requests per waiting
       * output (GitHub: five, GitLab: three), so many waiting outputs want a longer interval.
       */
      checkInterval: z._default(durationSchema, 900_000),
    }),
    { on: 'ready', checkInterval: 900_000 },
  ),
  feedback: z._default(
    z.strictObject({
      /**
       * Rounds per run in which review feedback or a failed check goes back to the agent, on the same
       * branch; after the last one a person takes over. 0 turns the loop off.
       */
      maxRounds: z._default(z.int().check(z.minimum(0)), 3),
    }),
    { maxRounds: 3 },
  ),
  agents: z._default(
    z.strictObject({
      /** A run longer than this is stopped and counted as a failed attempt. */
      timeout: z._default(durationSchema, 7_200_000),
      /** How often the tick asks the fleet whether a silent agent still runs. */
      checkInterval: z._default(durationSchema, 300_000),
      /** How long to wait for a ready output after an agent exited successfully. */
      outputGrace: z._default(durationSchema, 1_800_000),
    }),
    { timeout: 7_200_000, checkInterval: 300_000, outputGrace: 1_800_000 },
  ),
  reconcile: z._default(
    z.strictObject({
      /** Ask the output target on each tick about outputs of running items (for missed events). */
      outputs: z._default(z.boolean(), false),
    }),
    { outputs: false },
  ),
  /** How long an instance may take to perform a transition's effects before another takes over. */
  effectLease: z._default(durationSchema, 30_000),
  /**
   * How long a delivery that changed a work item is remembered for de-duplication (its retries and
   * replays are answered as duplicates). One that changed nothing is remembered for a two-minute claim.
   */
  deliveryMemory: z._default(durationSchema, 86_400_000),
  /**
   * The fleet circuit breaker: after `threshold` consecutive fleet failures (spawn errors, lost agents,
   * timeouts) new spawns pause for `cooldown` (items stay queued), then one probe tries again.
   */
  breaker: z._default(
    z.strictObject({
      threshold: z._default(z.int().check(z.minimum(1)), 5),
      cooldown: z._default(durationSchema, 300_000),
    }),
    { threshold: 5, cooldown: 300_000 },
  ),
  /** Triage and plan, but write nothing to any provider or the store and spawn nothing. */
  dryRun: z._default(z.boolean(), false),
});

export type FactorySettingsInput = z.input<typeof factorySettingsSchema>;
export type FactorySettings = z.output<typeof factorySettingsSchema>;
export type RouteConfig = z.output<typeof routeSchema>;

/** Settings with every default filled in; throws a zod error (`$ZodError`) naming each bad field. */
export function resolveSettings(input: FactorySettingsInput = {}): FactorySettings {
  return factorySettingsSchema.parse(input);
}
