import type { IncomingMessage, RequestOptions } from 'node:http';
import { type AwsCredentials, signRequest } from './aws-sigv4.ts';

/**
 * One AWS service spoken over its JSON protocol (DynamoDB's awsJson1_0, SSM's and Secrets Manager's
 * awsJson1_1): `POST /` with the operation in `X-Amz-Target`, signed with SigV4.
 */
export interface AwsJsonService {
  /** The first label of its endpoint and its signing name: `dynamodb`, `ssm`, `secretsmanager`. */
  name: string;
  /** Its `AWS_ENDPOINT_URL_<ID>` variable's suffix, as the SDKs read it: `DYNAMODB`, `SECRETS_MANAGER`. */
  endpointVariable: string;
  /** `X-Amz-Target` is `<targetPrefix>.<Operation>`. */
  targetPrefix: string;
  jsonVersion: '1.0' | '1.1';
}

export const DYNAMODB: AwsJsonService = {
  name: 'dynamodb',
  endpointVariable: 'DYNAMODB',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
};
export const SSM: AwsJsonService = {
  name: 'ssm',
  endpointVariable: 'SSM',
  targetPrefix: 'AmazonSSM',
  jsonVersion: '1.1',
};
export const SECRETS_MANAGER: AwsJsonService = {
  name: 'secretsmanager',
  endpointVariable: 'SECRETS_MANAGER',
  targetPrefix: 'secretsmanager',
  jsonVersion: '1.1',
};

/**
 * An error AWS answered, named by its type (`ConditionalCheckFailedException`), as the SDK names it; the
 * answer's other fields ride along as the SDK's exceptions carry them (`CancellationReasons` of a
 * cancelled transaction).
 */
export class AwsServiceError extends Error {
  readonly status: number;
  readonly service: string;
  readonly operation: string;
  /** The answer's fields besides its type and message. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Why each part of a cancelled transaction (`TransactionCanceledException`) failed, in order. */
  readonly CancellationReasons?: readonly { Code?: string; Message?: string; Item?: unknown }[];

  constructor(
    type: string,
    message: string,
    details: { status: number; service: string; operation: string; fields?: Record<string, unknown> },
  ) {
    super(message);
    this.name = type;
    this.status = details.status;
    this.service = details.service;
    this.operation = details.operation;
    this.fields = details.fields ?? {};
    const reasons = this.fields.CancellationReasons;
    if (Array.isArray(reasons)) this.CancellationReasons = reasons;
  }
}

export interface AwsJsonClientOptions {
  /** Where the region, the credentials and endpoint overrides are read, at each request; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Attempts per call, the first included, as the SDK's standard retry mode (3). */
  maxAttempts?: number;
  /** Waits between attempts; a test replaces it. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

/** Throttling and transient answers the SDK's standard retry mode retries too. */
const RETRYABLE_TYPES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
]);
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;

/**
 * A minimal client of AWS's JSON-protocol services over node:http(s), with SigV4, the function's role
 * credentials from the environment (Lambda sets `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN` and `AWS_REGION`), the SDKs' endpoint variables, and their standard retries.
 *
 * Why not the AWS SDK, which the Lambda runtime provides: loading `@aws-sdk/client-dynamodb` and
 * `lib-dynamodb` costs a cold start 150–350 ms (measured by `npm run bench`), more than the rest of the
 * factory together; this is a few kilobytes. It covers what the factory calls and nothing more (no
 * credential files, profiles or SSO: give `DynamoStateStore` an SDK client for those).
 */
export class AwsJsonClient {
  readonly #service: AwsJsonService;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => Date;

  constructor(service: AwsJsonService, options: AwsJsonClientOptions = {}) {
    this.#service = service;
    this.#env = options.env ?? process.env;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? (() => new Date());
  }

  /** One operation: its JSON input in, its JSON output back; an AWS error as an `AwsServiceError`. */
  async call<Output>(operation: string, input: unknown): Promise<Output> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.#send(operation, body)) as Output;
      } catch (error) {
        if (attempt >= this.#maxAttempts || !retryable(error)) throw error;
        // Full jitter, as the SDK: a random wait up to an exponentially growing bound.
        await this.#sleep(Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
      }
    }
  }

  async #send(operation: string, body: string): Promise<unknown> {
    const region = this.#env.AWS_REGION || this.#env.AWS_DEFAULT_REGION;
    if (!region) throw new Error(`${this.#service.name}: AWS_REGION is not set (Lambda sets it)`);
    const url = this.#endpoint(region);
    const headers = signRequest(
      {
        method: 'POST',
        url,
        headers: {
          'content-type': `application/x-amz-json-${this.#service.jsonVersion}`,
          'x-amz-target': `${this.#service.targetPrefix}.${operation}`,
        },
        body,
      },
      { region, service: this.#service.name, credentials: this.#credentials(), now: this.#now() },
    );
    const { status, text, errorType } = await post(url, headers, body);
    const parsed = text === '' ? {} : parseJson(text);
    if (status >= 200 && status < 300) {
      if (parsed === undefined)
        throw new Error(
          `${this.#service.name} ${operation}: answered ${status} with a body that is not JSON`,
        );
      return parsed;
    }
    const { __type, message, Message, ...fields } = (parsed ?? {}) as Record<string, unknown>;
    const type = shortType(typeof __type === 'string' ? __type : errorType) ?? `Http${status}Error`;
    const said = message ?? Message;
    throw new AwsServiceError(type, typeof said === 'string' ? said : '', {
      status,
      service: this.#service.name,
      operation,
      fields,
    });
  }

  #endpoint(region: string): URL {
    const configured =
      this.#env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
        ? undefined
        : this.#env[`AWS_ENDPOINT_URL_${this.#service.endpointVariable}`] || this.#env.AWS_ENDPOINT_URL;
    if (configured) return new URL(configured);
    const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    return new URL(`https://${this.#service.name}.${region}.${suffix}/`);
  }

  #credentials(): AwsCredentials {
    const accessKeyId = this.#env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = this.#env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey)
      throw new Error(
        `${this.#service.name}: no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); Lambda sets them from the function's role`,
      );
    const sessionToken = this.#env.AWS_SESSION_TOKEN;
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
}

/**
 * One POST over node:http(s) with Node's keep-alive agent. Not `fetch`: its first call in a process
 * loads and compiles undici's client, about 20 ms of a cold start more than node:https.
 */
async function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; text: string; errorType?: string }> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
  };
  return new Promise((resolve, reject) => {
    const outgoing = request(url, options, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const errorType = response.headers['x-amzn-errortype'];
        resolve({
          status: response.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          ...(typeof errorType === 'string' ? { errorType } : {}),
        });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` or `ValidationException:http://…` → the name. */
function shortType(type: string | undefined): string | undefined {
  if (!type) return undefined;
  return type.split('#').at(-1)?.split(':')[0] || undefined;
}

/** Network failures, 5xx, 429 and the throttling types: what the SDK's standard mode retries. */
function retryable(error: unknown): boolean {
  if (!(error instanceof AwsServiceError)) return (error as { code?: unknown })?.code !== undefined;
  return error.status >= 500 || error.status === 429 || RETRYABLE_TYPES.has(error.name);
}
