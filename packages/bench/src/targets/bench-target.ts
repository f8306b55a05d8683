import type { SignedRequest } from '../vendor-payloads.ts';

export interface Answer {
  status: number;
  body: string;
}

/** What one delivery cost, measured around it and nothing else. */
export interface Sample {
  answer: Answer;
  /** CPU time of the process that ran the factory (user + system), microseconds. */
  cpuMicros: number;
  /** Wall time from sending to the full answer, milliseconds. */
  wallMs: number;
  /** StateStore calls the delivery made, by method. */
  storeCalls: Record<string, number>;
  /** Requests on the store's own wire (DynamoDB), by operation, when the store has one. */
  wireRequests?: Record<string, number>;
}

/** One store behind the factory's HTTP app, ready to take signed deliveries. */
export interface BenchTarget {
  readonly store: string;
  /** Where the CPU time is read: this process, or the runtime's own (workerd). */
  readonly cpuOf: string;
  deliver(request: SignedRequest): Promise<Sample>;
  close(): Promise<void>;
}
