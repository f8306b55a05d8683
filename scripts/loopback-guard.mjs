// What refuses a connection to anything but this machine, in a test process (`loopback-only.ts`) and
// in the Node processes its tests start (`loopback-only-children.mjs`). Plain JavaScript (its types are
// in loopback-guard.d.mts): every Node child of a test loads it, and stripping TypeScript's types would
// cost each one some 70 ms of start-up.
import net from 'node:net';

/** The environment variable naming the file a test reads its children's refused connections from. */
export const REFUSED_REPORT_VARIABLE = 'FACTORY_TEST_REFUSED_CONNECTIONS';

/**
 * The Node option that has a process load the children's guard (`loopback-only-children.mjs`) first.
 * Worked out when asked: inside workerd, which starts no process, this module is loaded all the same.
 */
function childGuardOption() {
  return `--import=${new URL('./loopback-only-children.mjs', import.meta.url).href}`;
}

/**
 * What keeps the tools tests run from calling home: wrangler asks the npm registry for a newer version
 * of itself when it prints its banner, and may send usage metrics.
 */
const QUIET_TOOLS = Object.freeze({
  WRANGLER_HIDE_BANNER: 'true',
  WRANGLER_SEND_METRICS: 'false',
});

/**
 * `env`, for a process a test starts with an environment of its own rather than the test's, with what
 * holds it to this machine as the test's process is held (`loopback-only.ts`, which applies it to its
 * own): the children's guard added to the `NODE_OPTIONS` it has, the report file, and `QUIET_TOOLS`.
 * `env` as it is outside a test run, where there is no report to write to.
 */
export function withLoopbackGuard(env) {
  const report = process.env[REFUSED_REPORT_VARIABLE];
  if (!report) return env;
  const options = env.NODE_OPTIONS ?? '';
  const guard = childGuardOption();
  return {
    ...env,
    ...QUIET_TOOLS,
    NODE_OPTIONS: options.includes(guard) ? options : `${options} ${guard}`.trim(),
    [REFUSED_REPORT_VARIABLE]: report,
  };
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1']);

/** Whether a host a socket connects to is this machine. */
export function isLoopbackHost(host) {
  const name = host.toLowerCase();
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/** Where `socket.connect(...)` goes: its options object, or (port, host) as separate arguments. */
function destination(args) {
  const [first, second] = args;
  if (Array.isArray(first)) return destination(first);
  if (typeof first === 'object' && first !== null) {
    if (typeof first.path === 'string') return undefined;
    return {
      host: typeof first.host === 'string' ? first.host : 'localhost',
      port: String(first.port),
    };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a Unix socket path
  return { host: typeof second === 'string' ? second : 'localhost', port: String(first) };
}

/**
 * From now on, a socket of this process connecting elsewhere than this machine is destroyed with an
 * error before a name is looked up or a packet sent, and `refused` hears of it (`host:port`).
 */
export function refuseConnectionsElsewhere(refused) {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connectToLoopbackOnly(...args) {
    const to = destination(args);
    if (to && !isLoopbackHost(to.host)) {
      refused(`${to.host}:${to.port}`);
      const error = new Error(
        `tests reach only this machine: a connection to ${to.host}:${to.port} was refused`,
      );
      process.nextTick(() => this.destroy(error));
      return this;
    }
    return connect.apply(this, args);
  };
}
