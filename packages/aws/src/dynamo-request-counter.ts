import type { DynamoDBClient, ServiceInputTypes, ServiceOutputTypes } from '@aws-sdk/client-dynamodb';
import type { FinalizeRequestMiddleware } from '@smithy/types';

const MIDDLEWARE_NAME = 'factoryDynamoRequestCounter';

/**
 * Counts the HTTP requests a DynamoDB client sends, by operation (`GetItem`, `PutItem`, …), retries
 * included: what a path costs in round trips and in billed requests. Attach it to the client you give
 * the store; read and reset it around the work you measure.
 */
export class DynamoRequestCounter {
  readonly #counts = new Map<string, number>();

  /** Adds the counting middleware to `client` (once per client) and returns the client. */
  attach(client: DynamoDBClient): DynamoDBClient {
    const count: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> =
      (next) => async (args) => {
        this.#count(operationOf(args.request));
        return next(args);
      };
    client.middlewareStack.addRelativeTo(
      count,
      // Next to the transport, inside the retry loop, so every attempt is counted.
      { name: MIDDLEWARE_NAME, relation: 'after', toMiddleware: 'retryMiddleware', override: true },
    );
    return client;
  }

  get total(): number {
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** Requests per operation, operations sorted by name. */
  byOperation(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  reset(): void {
    this.#counts.clear();
  }

  #count(operation: string): void {
    this.#counts.set(operation, (this.#counts.get(operation) ?? 0) + 1);
  }
}

/** DynamoDB names the operation in the `X-Amz-Target` header: `DynamoDB_20120810.GetItem`. */
function operationOf(request: unknown): string {
  const headers = (request as { headers?: Record<string, string> } | undefined)?.headers ?? {};
  const target = Object.entries(headers).find(([name]) => name.toLowerCase() === 'x-amz-target')?.[1];
  return target?.split('.').at(-1) ?? 'unknown';
}
