import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkItemRecord } from '@software-factory/sdk';
import { BENCH_SECRETS, BENCH_TENANT } from '../bench-tenant.ts';
import { writeFactoryConfig } from '../factory-process.ts';
import { FactoryReplicas, REPLICA_HINT_HEADER, SERVED_BY_HEADER } from '../factory-replicas.ts';
import { type FactoryStoreKind, openFactoryStore } from '../factory-store.ts';
import { VendorServer } from '../loopback/vendor-server.ts';
import { seededRandom, shuffled } from '../random.ts';
import {
  githubChangesRequested,
  githubPullRequestDraft,
  githubPullRequestReady,
  issueId,
  linearIssueCreated,
  type SignedRequest,
} from '../vendor-payloads.ts';
import { AgentLog, overlapsPerKey, peakInFlight, startsPerKey } from './agent-log.ts';

export interface SoakOptions {
  items: number;
  kills: number;
  seed: number;
  maxInFlight: number;
  /** Share of deliveries sent twice (half with the same delivery id, half with a new one). */
  duplicateRate: number;
  /** Share of vendor API requests answered 429 or 5xx. */
  faultRate: number;
  /**
   * Share of items whose pull request gets review feedback: a reviewer requests changes once or twice
   * (half each), and each request is a feedback round the factory must run exactly once.
   */
  feedbackRate: number;
  /** Deliveries in flight at once, from the vendors' side. */
  senders: number;
  /** An agent's pull request is ready a random 0…this many ms after it starts, so agents overlap and the limit binds. */
  agentMs: number;
  timeoutMs: number;
  /** Where the factories keep their state (default sqlite). */
  store?: FactoryStoreKind;
  /**
   * `factory start` processes over the one store, behind a round-robin proxy (default 1; more need
   * Postgres). With more than one, each delivery and its duplicate go to different replicas, kills hit a
   * random replica, and one replica is stopped for good once half the items are done.
   */
  replicas?: number;
  keep?: boolean;
  progress?: (line: string) => void;
  /** Aborted (Ctrl-C): the soak stops as after a violation, and still stops its factory and agents. */
  signal?: AbortSignal;
}

export interface SoakReport {
  items: number;
  seed: number;
  seconds: number;
  deliveries: {
    sent: number;
    duplicates: number;
    /** Items whose deliveries (the first and its duplicate) were taken by more than one replica. */
    duplicatesAcrossReplicas: number;
    retried: number;
    refused: string[];
  };
  store: string;
  factory: { kills: number; starts: number };
  /** The replicas, when more than one ran: how many, which were killed, which was stopped for good. */
  replicas?: {
    count: number;
    killed: number[];
    stoppedForGood: { replica: number; atDone: number; exitCode: number | null } | undefined;
  };
  vendor: { requests: number; faults: Record<string, number> };
  agents: { started: number; ended: number; peakInFlight: number; maxInFlight: number };
  done: number;
  /** Items that got review feedback, and the feedback rounds they ran. */
  feedback: { items: number; rounds: number };
  /** Items that needed more than one attempt, and why the first ended. */
  retriedItems: string[];
  violations: string[];
}

const AGENT = fileURLToPath(new URL('./soak-agent.sh', import.meta.url));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `factory start` (real processes: one on SQLite, or several replicas on one Postgres behind a
 * round-robin proxy; the direct providers against loopback vendors that fail at random, the local
 * process fleet) fed with shuffled and duplicated deliveries while it is killed with SIGKILL and
 * restarted; then every promise of the design is checked against what happened.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const say = options.progress ?? (() => {});
  const replicaCount = options.replicas ?? 1;
  if (replicaCount > 1 && options.store !== 'postgres')
    throw new Error('more than one replica needs the postgres store: SQLite serves one process');
  const dir = await mkdtemp(join(tmpdir(), 'factory-soak-'));
  const store = await openFactoryStore(options.store ?? 'sqlite', dir).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const vendor = await new VendorServer({ faultRate: options.faultRate, seed: options.seed }).start();
  const agentLog = new AgentLog(join(dir, 'agents.log'));
  const exitDir = join(dir, 'agent-exit');
  mkdirSync(exitDir);
  const config = writeFactoryConfig({
    dir,
    vendorUrl: vendor.url,
    maxInFlight: options.maxInFlight,
    agent: ['sh', AGENT],
    agentEnv: { SOAK_AGENT_LOG: join(dir, 'agents.log'), SOAK_AGENT_EXIT_DIR: exitDir },
    tick: '2s',
    stateStore: store.config,
    // Short leases, checks and backoff: what a crash leaves behind is taken over within seconds, so the
    // soak measures correctness rather than waiting out production timers.
    settings: {
      effectLease: '3s',
      retry: { maxAttempts: 3, backoff: '1s' },
      agents: { checkInterval: '2s' },
    },
  });
  const violations: string[] = [];
  const refused: string[] = [];
  // A replica that ends without being told to is a violation: the soak stops at once and shows why.
  const factories = new FactoryReplicas(config, store.env, replicaCount);
  try {
    await factories.start();
  } catch (error) {
    await factories.stop('SIGKILL');
    await Promise.all([vendor.stop(), store.close()]);
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    throw error;
  }
  const killed: number[] = [];
  let stoppedForGood: NonNullable<SoakReport['replicas']>['stoppedForGood'];
  let kills = 0;
  let sent = 0;
  let retried = 0;

  // With several replicas, each delivery names the replica it goes to first, and a duplicate names
  // another one; one factory takes whatever comes (no random draw, so its runs stay as they were).
  const pickReplica = () => (replicaCount > 1 ? Math.floor(random() * replicaCount) : undefined);
  const anotherReplica = (replica: number | undefined) =>
    replica === undefined
      ? undefined
      : (replica + 1 + Math.floor(random() * (replicaCount - 1))) % replicaCount;
  const replicaHint = (replica: number | undefined) => (replica === undefined ? {} : { replica });
  /** The replicas that took each item's deliveries. */
  const itemTakenBy = new Map<number, number[]>();
  // Deliveries of the work items: every item once, a share twice, all in a shuffled order.
  const updatedAt = Date.parse('2026-01-01T00:00:00.000Z');
  const itemDeliveries: { n: number; deliveryId: string; replica?: number }[] = [];
  for (let n = 1; n <= options.items; n++) {
    const deliveryId = randomUUID();
    const replica = pickReplica();
    itemDeliveries.push({ n, deliveryId, ...replicaHint(replica) });
    if (random() < options.duplicateRate)
      itemDeliveries.push({
        n,
        deliveryId: random() < 0.5 ? deliveryId : randomUUID(),
        ...replicaHint(anotherReplica(replica)),
      });
  }
  const duplicates = itemDeliveries.length - options.items;
  // The review rounds each item's pull request will get (most none).
  const plannedRounds = new Map<number, number>();
  for (let n = 1; n <= options.items; n++)
    if (random() < options.feedbackRate) plannedRounds.set(n, random() < 0.5 ? 1 : 2);
  // The loopback Linear holds every issue, as it was created, before any delivery announces it.
  for (let n = 1; n <= options.items; n++) {
    const created = linearIssueCreated(n, {
      tenant: BENCH_TENANT,
      secret: BENCH_SECRETS.linear,
      now: updatedAt + n,
    });
    vendor.addLinearIssue((JSON.parse(created.body) as { data: Record<string, unknown> }).data);
  }
  const queue: {
    build: () => SignedRequest;
    what: string;
    retryIgnored?: boolean;
    /** The replica to send it to first (several replicas only): a duplicate goes to another one. */
    replica?: number;
    /** Runs once the delivery was taken (2xx), with the replica that took it (several replicas only). */
    after?: (takenBy: number | undefined) => void;
  }[] = shuffled(itemDeliveries, random).map(({ n, deliveryId, replica }) => ({
    what: `linear BEN-${n}`,
    ...replicaHint(replica),
    after: (takenBy) => {
      if (takenBy !== undefined) itemTakenBy.set(n, [...(itemTakenBy.get(n) ?? []), takenBy]);
    },
    build: () =>
      linearIssueCreated(n, {
        tenant: BENCH_TENANT,
        secret: BENCH_SECRETS.linear,
        now: Date.now(),
        updatedAt: updatedAt + n,
        deliveryId,
      }),
  }));

  /** Deliveries a sender is retrying, each with its last answer: what a run that times out waits on. */
  const retrying = new Map<string, string>();
  async function deliver(item: (typeof queue)[number]): Promise<void> {
    try {
      await deliverUntilTaken(item);
    } finally {
      retrying.delete(item.what);
    }
  }

  async function deliverUntilTaken(item: (typeof queue)[number]): Promise<void> {
    // A sender gives up only when the run stops (done, a violation, Ctrl-C): a factory that is down
    // for good must not keep the run waiting on its retries.
    for (let attempt = 0; !stopping; attempt++) {
      if (attempt > 0) retried += 1;
      const request = item.build();
      let status = 0;
      let body = '';
      let servedBy: string | undefined;
      try {
        const hint: Record<string, string> =
          item.replica === undefined ? {} : { [REPLICA_HINT_HEADER]: String(item.replica) };
        const response = await fetch(`${factories.url}${request.path}`, {
          method: 'POST',
          headers: { ...request.headers, ...hint },
          body: request.body,
        });
        status = response.status;
        servedBy = response.headers.get(SERVED_BY_HEADER) ?? undefined;
        body = await response.text();
      } catch {
        retrying.set(item.what, 'no answer: the factory is down');
        await sleep(50 + random() * 100); // the factory is down: the sender retries, as vendors do
        continue;
      }
      retrying.set(item.what, `${status} ${body.slice(0, 160)}`);
      if (status >= 200 && status < 300) {
        // A pull request announced before its item is recorded as dispatched is announced again later
        // (GitHub sends synchronize, ready_for_review…); the tick's reconciliation is off here.
        if (
          item.retryIgnored &&
          /no dispatched work item|no work item has the key|"the item is (new|queued)/.test(body)
        ) {
          await sleep(200);
          continue;
        }
        sent += 1;
        item.after?.(servedBy === undefined ? undefined : Number(servedBy));
        return;
      }
      if (status >= 400 && status < 500) {
        refused.push(`${item.what}: ${status} ${body.slice(0, 200)}`);
        return;
      }
      await sleep(100 + random() * 200); // 5xx: state is saved, the retry or the tick finishes the work
    }
  }

  // Pull requests: when an agent starts, its pull request becomes ready soon after (a share twice); for
  // an item with review rounds planned, the pull request is opened as a draft, a reviewer requests
  // changes, and the agent then finishes: the factory must start the round's agent.
  const agentsSeen = new Set<string>();
  const reviewsSent = new Map<number, number>();
  const github = { tenant: BENCH_TENANT, secret: BENCH_SECRETS.github };
  function requestChanges(n: number, agentId: string): void {
    const round = (reviewsSent.get(n) ?? 0) + 1;
    reviewsSent.set(n, round);
    const deliveryId = randomUUID();
    const replica = pickReplica();
    const review = (id: string, to: number | undefined) => ({
      what: `github review ${round} of BEN-${n}`,
      retryIgnored: true,
      ...replicaHint(to),
      build: () => githubChangesRequested(n, { ...github, reviewId: n * 10 + round, deliveryId: id }),
      // Once the factory has the review, the agent finishes: the round starts when it has.
      after: () => writeFileSync(join(exitDir, agentId), ''),
    });
    const draft = {
      what: `github draft BEN-${n}`,
      retryIgnored: true,
      build: () => githubPullRequestDraft(n, github),
    };
    const duplicate =
      random() < options.duplicateRate ? (random() < 0.5 ? deliveryId : randomUUID()) : undefined;
    const sendReviews = () => {
      queue.unshift(review(deliveryId, replica));
      if (duplicate) queue.push(review(duplicate, anotherReplica(replica)));
    };
    // A reviewer reviews a pull request that is open: its review is sent once the draft was taken, not
    // raced against it by another sender (on several replicas, the two would often cross).
    setTimeout(() => {
      if (round === 1) queue.unshift({ ...draft, after: sendReviews });
      else sendReviews();
    }, random() * options.agentMs);
  }
  function watchAgents(): void {
    for (const event of agentLog.poll()) {
      if (event.kind !== 'start' || agentsSeen.has(event.agentId)) continue;
      agentsSeen.add(event.agentId);
      const n = Number(/(\d+)$/.exec(event.key)?.[1]);
      if ((reviewsSent.get(n) ?? 0) < (plannedRounds.get(n) ?? 0)) {
        requestChanges(n, event.agentId);
        continue;
      }
      const deliveryId = randomUUID();
      const replica = pickReplica();
      const pr = (id: string, to: number | undefined) => ({
        what: `github ${event.key}`,
        retryIgnored: true,
        ...replicaHint(to),
        build: () => githubPullRequestReady(n, { ...github, deliveryId: id }),
      });
      const duplicate =
        random() < options.duplicateRate ? (random() < 0.5 ? deliveryId : randomUUID()) : undefined;
      setTimeout(() => {
        // Ahead of the item deliveries still waiting: a sender does not hold a pull request back.
        queue.unshift(pr(deliveryId, replica));
        if (duplicate) queue.push(pr(duplicate, anotherReplica(replica)));
      }, random() * options.agentMs);
    }
  }

  const done = () => {
    let count = 0;
    for (let n = 1; n <= options.items; n++) if (vendor.lastState(issueId(n)) === 'state-done') count += 1;
    return count;
  };

  const senders: Promise<void>[] = [];
  let stopping = false;
  for (let i = 0; i < options.senders; i++)
    senders.push(
      (async () => {
        while (!stopping) {
          const next = queue.shift();
          if (next) await deliver(next);
          else await sleep(20);
        }
      })(),
    );

  const killAt = Array.from({ length: options.kills }, (_, k) =>
    Math.max(1, Math.floor(((k + 1) * options.items) / (options.kills + 1))),
  );
  // Half way, one of several replicas is stopped for good; the others carry the rest of the run.
  const stopOneAt = replicaCount > 1 ? Math.max(1, Math.floor(options.items / 2)) : undefined;
  const deadline = started + options.timeoutMs;
  let lastReport = 0;
  let ranToTheEnd = false;
  try {
    for (;;) {
      watchAgents();
      const finished = done();
      if (finished >= options.items && queue.length === 0) break;
      if (options.signal?.aborted) {
        violations.push(`interrupted with ${finished} of ${options.items} items done`);
        break;
      }
      const ended = factories.endedOnItsOwn;
      if (ended) {
        violations.push(
          `factory start${replicaCount > 1 ? ` (replica ${ended.replica})` : ''} ended on its own (exit code ${ended.code}) with ${finished} of ${options.items} items done`,
        );
        for (const line of ended.lines) say(`factory: ${line.slice(0, 400)}`);
        break;
      }
      if (Date.now() > deadline) {
        violations.push(
          `timed out after ${options.timeoutMs} ms with ${finished} of ${options.items} items done`,
          ...[...retrying].map(([what, answer]) => `still sending ${what}, last answered ${answer}`),
        );
        for (const line of factories.lastLines(20)) say(`factory: ${line.slice(0, 400)}`);
        break;
      }
      if (stopOneAt !== undefined && !stoppedForGood && finished >= stopOneAt) {
        const replica = pickFrom(factories.serving, random);
        say(`SIGTERM replica ${replica} at ${finished} done: stopped for good`);
        stoppedForGood = { replica, atDone: finished, exitCode: await factories.stopForGood(replica) };
        if (stoppedForGood.exitCode !== 0)
          violations.push(
            `replica ${replica}, told to stop, exited with code ${stoppedForGood.exitCode}, not 0`,
          );
      }
      if (kills < killAt.length && finished >= (killAt[kills] ?? Infinity)) {
        kills += 1;
        const replica = pickFrom(factories.serving, random);
        killed.push(replica);
        say(
          `SIGKILL factory start${replicaCount > 1 ? ` replica ${replica}` : ''} at ${finished} done (kill ${kills}/${options.kills})`,
        );
        await factories.killAndRestart(replica, random() * 300);
      }
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        say(
          `${finished}/${options.items} done, ${agentLog.events.length} agent events, queue ${queue.length}`,
        );
      }
      await sleep(100);
    }
    stopping = true;
    await Promise.all(senders);

    // Done items release their agents; wait for the last releases to land.
    const settle = Date.now() + 30_000;
    while (Date.now() < settle && !options.signal?.aborted) {
      agentLog.poll();
      const starts = agentLog.events.filter((event) => event.kind === 'start').length;
      const ends = agentLog.events.filter((event) => event.kind === 'end').length;
      if (starts === ends) break;
      await sleep(200);
    }
    await factories.stop('SIGTERM');
    ranToTheEnd = true;
  } finally {
    stopping = true;
    await factories.stop('SIGKILL');
    // Twice: an agent the factory spawned just before it was killed may write its pid file late.
    stopStrayAgents(store.agentsDir);
    await sleep(500);
    stopStrayAgents(store.agentsDir);
    await vendor.stop();
    if (!ranToTheEnd) await store.close();
  }

  // What happened, against what must have happened.
  agentLog.poll();
  const events = agentLog.events;
  const starts = startsPerKey(events);
  const started_ = events.filter((event) => event.kind === 'start').length;
  const ended = events.filter((event) => event.kind === 'end').length;
  const peak = peakInFlight(events);
  if (peak > options.maxInFlight)
    violations.push(`${peak} agents ran at once; the limit is ${options.maxInFlight}`);
  for (const [key, count] of overlapsPerKey(events))
    violations.push(`${key} had ${count} agents running at once`);
  // Interrupted, the agents still running were killed without their end line.
  if (ended !== started_ && !options.signal?.aborted)
    violations.push(`${started_ - ended} agent(s) were never stopped`);
  let records: WorkItemRecord[];
  try {
    records = await store.readRecords();
  } finally {
    await store.close();
  }
  const byId = new Map(records.map((record) => [record.workItemId, record]));
  const retriedItems: string[] = [];
  // An interrupted run did not get to finish every item: only what must hold at any moment is checked.
  for (let n = 1; n <= (options.signal?.aborted ? 0 : options.items); n++) {
    const record = byId.get(issueId(n));
    if (!record) {
      violations.push(`BEN-${n} was lost: no record`);
      continue;
    }
    const to = (status: string) => record.history.filter((step) => step.to === status).length;
    if (record.status !== 'done') violations.push(`BEN-${n} ended ${record.status}, not done`);
    // A second dispatch is a new attempt after the first agent was lost; only a second running agent
    // (counted from the agents' own log above) would cost the user twice. Reported, not a violation.
    if (to('dispatched') > 1 + (record.feedback?.rounds ?? 0))
      retriedItems.push(`BEN-${n}: ${record.attempts} attempts (${lastFailure(record)})`);
    if (to('dispatched') === 0) violations.push(`BEN-${n} was never dispatched`);
    // Every attempt (the first, each retry, each feedback round) had exactly one agent.
    const agents = starts.get(`BEN-${n}`) ?? 0;
    if (agents !== record.attempts)
      violations.push(`BEN-${n} had ${agents} agents for ${record.attempts} attempts`);
    const rounds = record.feedback?.rounds ?? 0;
    if (rounds !== (plannedRounds.get(n) ?? 0))
      violations.push(
        `BEN-${n} ran ${rounds} feedback rounds; its reviewer asked for ${plannedRounds.get(n) ?? 0}`,
      );
    const started = vendor.pullComments
      .get(`Codertocat/Hello-World#${n}`)
      ?.filter((body) => body.startsWith('Feedback round') && body.includes('an agent is taking')).length;
    if ((started ?? 0) !== rounds)
      violations.push(`BEN-${n}'s pull request says ${started ?? 0} rounds started, not ${rounds}`);
    if (to('done') !== 1) violations.push(`BEN-${n} was done ${to('done')} times`);
    if (!starts.has(`BEN-${n}`)) violations.push(`BEN-${n} never had an agent`);
    if (vendor.lastState(issueId(n)) !== 'state-done') violations.push(`BEN-${n} is not done in the tracker`);
  }
  for (const line of refused) violations.push(`refused delivery: ${line}`);

  // Retried: a killed agent's wrapper may still be closing files in the folder.
  if (!options.keep) await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  else say(`kept ${dir}`);
  return {
    items: options.items,
    seed: options.seed,
    seconds: Math.round((Date.now() - started) / 1000),
    deliveries: {
      sent,
      duplicates,
      duplicatesAcrossReplicas: [...itemTakenBy.values()].filter((replicas) => new Set(replicas).size > 1)
        .length,
      retried,
      refused,
    },
    store: store.description,
    factory: { kills, starts: factories.starts },
    ...(replicaCount > 1 ? { replicas: { count: replicaCount, killed, stoppedForGood } } : {}),
    vendor: { requests: vendor.requests, faults: vendor.faults },
    agents: { started: started_, ended, peakInFlight: peak, maxInFlight: options.maxInFlight },
    done: records.filter((record) => record.status === 'done').length,
    feedback: {
      items: plannedRounds.size,
      rounds: records.reduce((total, record) => total + (record.feedback?.rounds ?? 0), 0),
    },
    retriedItems,
    violations,
  };
}

function lastFailure(record: WorkItemRecord): string {
  return (
    record.history.find((step) => step.from === 'dispatched' && step.to === 'queued')?.reason ?? 'unknown'
  );
}

function pickFrom(choices: readonly number[], random: () => number): number {
  return choices[Math.floor(random() * choices.length)] ?? 0;
}

/** Agents run detached and outlive the factory; stop any the soak left (their wrappers lead their groups). */
function stopStrayAgents(agentsDir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(agentsDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    try {
      const pid = Number(readFileSync(join(agentsDir, entry, 'wrapper.pid'), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 1) process.kill(-pid, 'SIGKILL');
    } catch {
      // No pid file, or the group has already ended.
    }
  }
}
