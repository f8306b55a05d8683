export type PortMethod = (...args: unknown[]) => unknown;

/**
 * An object that answers as `port` does, except that each of its methods is replaced by what
 * `wrap(name, method)` makes of it, once, here: wrapping per call (a proxy's trap) made a closure per
 * call and kept every call site from being optimised. It inherits from the port, so what is not a
 * method reads through. `wrap` gets the method bound to the port: ports with private fields work
 * unchanged.
 */
export function wrappedPort<Port extends object>(
  port: Port,
  wrap: (name: string, method: PortMethod) => PortMethod,
): Port {
  const wrapped = Object.create(port) as Record<string, unknown>;
  const methods = port as Record<string, PortMethod>;
  for (const name of methodNames(port)) {
    // Looked up at each call, as the port holds it then: a method replaced later (a test's stub) is used.
    wrapped[name] = wrap(name, (...args) => (methods[name] as PortMethod).apply(port, args));
  }
  return wrapped as Port;
}

/** The names of every method the port answers to, its own and its classes', but Object's. */
function methodNames(port: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = port; level && level !== Object.prototype; ) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(level, name);
      // A getter is read as it is, not called here: it may depend on state the port has later.
      if (descriptor && typeof descriptor.value === 'function') names.add(name);
    }
    level = Object.getPrototypeOf(level) as object | null;
  }
  return [...names];
}
