// `npm run soak`: 10,000 work items through `factory start` with duplicated, shuffled deliveries, vendors
// failing at random, review feedback on a share of pull requests and SIGKILL restarts; prints the counts
// and exits 1 on any violation. `--store postgres --replicas 3`: three replicas on one Postgres behind a
// round-robin proxy, duplicates sent to different replicas, one replica stopped for good half way.
import { parseArgs } from 'node:util';
import { failedWithUsage, runWhenMain, wholeNumber } from './command-line.ts';
import { FACTORY_STORES, type FactoryStoreKind } from './factory-store.ts';
import { runSoak, type SoakOptions } from './soak/soak-run.ts';

const usage =
  'usage: npm run soak -- [--items 10000] [--kills 5] [--seed <n>] [--max-in-flight 20] [--duplicates 0.3] [--faults 0.1] [--feedback 0.2] [--senders 8] [--agent-ms 3000] [--timeout-minutes 60] [--store sqlite|postgres] [--replicas 1] [--keep]';

/** Each replica is a Node process with its own pool: past a handful, one machine measures itself. */
const MAX_REPLICAS = 8;

export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string', default: '10000' },
      kills: { type: 'string', default: '5' },
      seed: { type: 'string', default: '1' },
      'max-in-flight': { type: 'string', default: '20' },
      duplicates: { type: 'string', default: '0.3' },
      faults: { type: 'string', default: '0.1' },
      feedback: { type: 'string', default: '0.2' },
      senders: { type: 'string', default: '8' },
      'agent-ms': { type: 'string', default: '3000' },
      'timeout-minutes': { type: 'string', default: '60' },
      store: { type: 'string', default: 'sqlite' },
      replicas: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const share = (name: string, text: string) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 1)
      throw new Error(`--${name} must be a share from 0 up to (not including) 1, got "${text}"`);
    return value;
  };
  const store = values.store;
  if (!(FACTORY_STORES as readonly string[]).includes(store))
    throw new Error(`--store must be one of ${FACTORY_STORES.join(', ')}, got "${store}"`);
  const replicas = wholeNumber('replicas', values.replicas, 1);
  if (replicas > 1 && store !== 'postgres')
    throw new Error(
      `--replicas ${replicas} needs --store postgres: a SQLite file serves one factory start, not several`,
    );
  if (replicas > MAX_REPLICAS)
    throw new Error(`--replicas must be at most ${MAX_REPLICAS} on one machine, got "${values.replicas}"`);
  return {
    items: wholeNumber('items', values.items, 1),
    kills: wholeNumber('kills', values.kills, 0),
    seed: wholeNumber('seed', values.seed, 0),
    maxInFlight: wholeNumber('max-in-flight', values['max-in-flight'], 1),
    duplicateRate: share('duplicates', values.duplicates),
    faultRate: share('faults', values.faults),
    feedbackRate: share('feedback', values.feedback),
    senders: wholeNumber('senders', values.senders, 1),
    agentMs: wholeNumber('agent-ms', values['agent-ms'], 0),
    timeoutMs: wholeNumber('timeout-minutes', values['timeout-minutes'], 1) * 60_000,
    store: store as FactoryStoreKind,
    replicas,
    keep: values.keep,
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseSoakArgs(argv);
  console.log(
    `soak: ${options.items} items, ${options.store}, ${options.replicas} replica(s), ${options.kills} SIGKILLs, maxInFlight ${options.maxInFlight}, ${options.duplicateRate * 100}% duplicates, ${options.faultRate * 100}% vendor faults, ${options.feedbackRate * 100}% with review rounds, seed ${options.seed}`,
  );
  // Ctrl-C (or a SIGTERM) ends the run the way a violation does, so its factory and agents are stopped
  // and its folder removed; a second one exits at once.
  const interrupt = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const)
    process.once(name, () => {
      console.log(`  ${name}: stopping the factory and its agents`);
      interrupt.abort();
      process.once(name, () => process.exit(130));
    });
  const report = await runSoak({
    ...options,
    signal: interrupt.signal,
    progress: (line) => console.log(`  ${line}`),
  });
  console.log(
    JSON.stringify(
      { ...report, retriedItems: report.retriedItems.length, violations: report.violations.length },
      null,
      2,
    ),
  );
  for (const item of report.retriedItems.slice(0, 20)) console.log(`retried ${item}`);
  for (const violation of report.violations.slice(0, 50)) console.log(`VIOLATION ${violation}`);
  if (report.violations.length > 50) console.log(`…and ${report.violations.length - 50} more`);
  console.log(
    report.violations.length === 0 ? 'soak passed' : `soak FAILED: ${report.violations.length} violation(s)`,
  );
  if (interrupt.signal.aborted) return 130;
  return report.violations.length === 0 ? 0 : 1;
}

runWhenMain(import.meta.url, main, failedWithUsage('soak', usage));
