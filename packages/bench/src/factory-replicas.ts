import type { IncomingMessage } from 'node:http';
import { RoundRobinProxy, SERVED_BY_HEADER } from '../../cli/test/support/round-robin-proxy.ts';
import { freePort, type RunningFactory, startFactory } from './factory-process.ts';

/** The request header a sender sets to say which replica a delivery should reach first. */
export const REPLICA_HINT_HEADER = 'x-bench-replica';
export { SERVED_BY_HEADER };

/** Why a replica ended without being told to, and its last lines. */
export interface UnexpectedEnd {
  replica: number;
  code: number | null;
  lines: string[];
}

/**
 * `replicas` `factory start` processes over one config, each on a port of its own kept across restarts;
 * with more than one, a round-robin proxy on 127.0.0.1 in front of them, as a load balancer would be.
 * A replica that ends without being told to is remembered, so the soak can stop and say why. The soak
 * and the bench's HTTP part both run their factories through it.
 */
export class FactoryReplicas {
  /** Where deliveries go: the proxy, or the one replica. */
  url = '';
  starts = 0;
  endedOnItsOwn: UnexpectedEnd | undefined;
  readonly count: number;
  readonly #config: string;
  readonly #env: Record<string, string>;
  readonly #ports: number[] = [];
  readonly #running: (RunningFactory | undefined)[] = [];
  readonly #stoppedForGood = new Set<number>();
  #proxy: RoundRobinProxy | undefined;

  readonly #keepAlive: boolean;

  constructor(
    config: string,
    env: Record<string, string>,
    count: number,
    options: { keepAliveProxy?: boolean } = {},
  ) {
    this.count = count;
    this.#keepAlive = options.keepAliveProxy ?? false;
    this.#config = config;
    this.#env = env;
  }

  async start(): Promise<void> {
    for (let n = 0; n < this.count; n++) this.#ports.push(await freePort());
    // Started together, as an orchestrator starts them: their migrations take turns under the lock.
    await Promise.all(this.#ports.map((_, n) => this.#startReplica(n)));
    if (this.count === 1) {
      this.url = (this.#running[0] as RunningFactory).url;
      return;
    }
    this.#proxy = await new RoundRobinProxy(
      this.#ports.map((port) => `http://127.0.0.1:${port}`),
      { preferred: hintedReplica, keepAlive: this.#keepAlive },
    ).start();
    this.url = this.#proxy.url;
  }

  /** The replicas serving now (not killed, not stopped for good). */
  get serving(): number[] {
    return this.#running.flatMap((running, n) => (running ? [n] : []));
  }

  get stoppedForGood(): number[] {
    return [...this.#stoppedForGood];
  }

  /** SIGKILL of one serving replica, then (after `downMs`) the same replica again on its port. */
  async killAndRestart(replica: number, downMs: number): Promise<void> {
    const killed = this.#running[replica];
    this.#running[replica] = undefined;
    await killed?.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.#startReplica(replica);
  }

  /** Stops one replica (SIGTERM: it drains) and never starts it again, as when a machine is retired. */
  async stopForGood(replica: number): Promise<number | null> {
    const stopping = this.#running[replica];
    this.#running[replica] = undefined;
    this.#stoppedForGood.add(replica);
    return (await stopping?.kill('SIGTERM')) ?? null;
  }

  /** The last lines of every replica still running, for a timed-out run. */
  lastLines(count: number): string[] {
    return this.#running.flatMap((running, n) =>
      (running?.lines.slice(-count) ?? []).map((line) => `replica ${n}: ${line}`),
    );
  }

  /** Every replica told to stop with `signal`, and the proxy stopped. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const running = this.#running.splice(0, this.#running.length, ...this.#running.map(() => undefined));
    await Promise.all(running.map((replica) => replica?.kill(signal)));
    await this.#proxy?.stop();
    this.#proxy = undefined;
  }

  async #startReplica(replica: number): Promise<void> {
    const running = await startFactory(this.#config, {
      port: this.#ports[replica] as number,
      env: this.#env,
    });
    this.#running[replica] = running;
    this.starts += 1;
    void running.exited.then((code) => {
      if (this.#running[replica] === running)
        this.endedOnItsOwn ??= { replica, code, lines: running.lines.slice(-40) };
    });
  }
}

function hintedReplica(incoming: IncomingMessage): number | undefined {
  const hint = incoming.headers[REPLICA_HINT_HEADER];
  return typeof hint === 'string' && /^\d+$/.test(hint) ? Number(hint) : undefined;
}
