// Every test file runs with this: a connection a test's code opens to anything but this machine
// (127.0.0.0/8, ::1, localhost, a Unix socket) is refused before a name is looked up or a packet
// sent, and the test that caused it fails, even where the code under test catches the error (a
// connection check that reports a vendor as unreachable, a retry loop). Nothing leaves 127.0.0.1.
import net from 'node:net';
import { afterEach } from 'vitest';

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1']);

/** Whether a host a socket connects to is this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  const v4 = name.startsWith('::ffff:') ? name.slice('::ffff:'.length) : name;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

const refused: string[] = [];
const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;

/** Where `socket.connect(...)` goes: its options object, or (port, host) as separate arguments. */
function destination(args: unknown[]): { host: string; port: string } | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return destination(first);
  if (typeof first === 'object' && first !== null) {
    const options = first as { path?: unknown; host?: unknown; port?: unknown };
    if (typeof options.path === 'string') return undefined;
    return {
      host: typeof options.host === 'string' ? options.host : 'localhost',
      port: String(options.port),
    };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a Unix socket path
  return { host: typeof second === 'string' ? second : 'localhost', port: String(first) };
}

net.Socket.prototype.connect = function connectToLoopbackOnly(this: net.Socket, ...args: unknown[]) {
  const to = destination(args);
  if (to && !isLoopbackHost(to.host)) {
    refused.push(`${to.host}:${to.port}`);
    const error = new Error(
      `tests reach only this machine: a connection to ${to.host}:${to.port} was refused`,
    );
    process.nextTick(() => this.destroy(error));
    return this;
  }
  return connect.apply(this, args);
} as typeof net.Socket.prototype.connect;

/** The connections refused since the last call (`host:port`), forgotten: for this guard's own test. */
export function takeRefusedConnections(): string[] {
  return refused.splice(0);
}

afterEach(() => {
  const hosts = [...new Set(takeRefusedConnections())];
  if (hosts.length > 0)
    throw new Error(
      `the test tried to connect outside this machine (${hosts.join(', ')}); point it at a loopback server`,
    );
});
