export type FaultMode = 'before' | 'after';

/** The error a planned fault throws. */
export class InjectedFault extends Error {
  readonly call: string;

  constructor(call: string) {
    super(`injected fault in ${call}`);
    this.call = call;
    this.name = 'InjectedFault';
  }
}

/**
 * Wraps ports so that one chosen call fails: `before` its side effect (nothing happened) or `after`
 * it (the effect happened, but the caller sees an error, as with a timeout or a crash right after).
 * Every call through a wrapped port is counted and named in `log`.
 */
export class FaultInjector {
  readonly log: string[] = [];
  #plan: { at: number; mode: FaultMode } | undefined;

  get calls(): number {
    return this.log.length;
  }

  /** Fails the `at`-th call from now (1-based). */
  failAt(at: number, mode: FaultMode): void {
    this.#plan = { at: this.log.length + at, mode };
  }

  clear(): void {
    this.#plan = undefined;
  }

  wrap<T extends object>(name: string, target: T): T {
    return new Proxy(target, {
      get: (object, property, receiver) => {
        const value = Reflect.get(object, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string' || property === 'constructor')
          return value;
        return (...args: unknown[]) => this.#call(`${name}.${property}`, () => value.apply(object, args));
      },
    });
  }

  #call(call: string, invoke: () => unknown): unknown {
    this.log.push(call);
    const plan = this.#plan;
    if (plan?.at !== this.log.length) return invoke();
    this.#plan = undefined;
    if (plan.mode === 'before') {
      const fault = new InjectedFault(call);
      return isAsync(call) ? Promise.reject(fault) : throwFault(fault);
    }
    const result = invoke();
    if (result instanceof Promise) {
      return result.then(() => {
        throw new InjectedFault(call);
      });
    }
    throw new InjectedFault(call);
  }
}

const SYNC_METHODS = new Set(['isReadyForDispatch', 'render', 'branchName', 'findWorkItemKey', 'now']);

function isAsync(call: string): boolean {
  return !SYNC_METHODS.has(call.slice(call.lastIndexOf('.') + 1));
}

function throwFault(fault: InjectedFault): never {
  throw fault;
}
