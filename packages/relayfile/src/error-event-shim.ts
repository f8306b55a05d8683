// @relayfile/sdk's WebSocket connection tests `event instanceof ErrorEvent` in its error listener, and
// Node (up to 24 at least) has no global ErrorEvent: the ReferenceError would escape as an uncaught
// exception the first time a socket fails. A minimal ErrorEvent makes that check simply false.
if (typeof (globalThis as { ErrorEvent?: unknown }).ErrorEvent === 'undefined') {
  (globalThis as { ErrorEvent?: unknown }).ErrorEvent = class ErrorEvent extends Event {
    readonly error: unknown;
    readonly message: string;
    constructor(type: string, init: { error?: unknown; message?: string } = {}) {
      super(type);
      this.error = init.error;
      this.message = init.message ?? '';
    }
  };
}
