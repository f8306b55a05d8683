/**
 * Runs `tick` every `intervalMs`, never two at once: a slow tick delays the next instead of piling up.
 * `stop()` cancels the next run and waits for a running one to finish.
 */
export class TickTimer {
  readonly #tick: () => Promise<void>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(tick: () => Promise<void>, intervalMs: number) {
    this.#tick = tick;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#schedule();
  }

  /** Runs a tick now (after a running one), e.g. at start-up to catch up on what happened while down. */
  async runNow(): Promise<void> {
    if (this.#running) await this.#running;
    if (this.#stopped) return;
    this.#running = this.#tick().finally(() => {
      this.#running = undefined;
    });
    await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      // The tick reports its own failures; a rejection here must not stop the timer.
      void this.runNow()
        .catch(() => {})
        .finally(() => this.#schedule());
    }, this.#intervalMs);
  }
}
