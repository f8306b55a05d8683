import { MissingPeerError } from '@software-factory/sdk';
import {
  ModelUnavailableError,
  type TriageModel,
  type TriageModelOptions,
  type TriageModelRequest,
} from './triage-model.ts';

// Classes are read only through `instanceof`, so no constructor arguments need to be named here.
type ErrorClass<E> = abstract new (...args: never) => E;

/** What this package sets on every client: one request, to one place, with one key, and no logs. */
export interface ClientOptions {
  apiKey: string;
  baseURL: string;
  maxRetries: number;
  timeout: number;
  logLevel: 'off';
}

/**
 * What both vendors' generated SDKs (Anthropic's and OpenAI's) export: a client class, and error classes
 * with the same hierarchy (a timeout is a connection error; every failure the SDK raises is an `APIError`).
 */
export interface VendorSdk {
  new (options: ClientOptions): unknown;
  readonly APIConnectionTimeoutError: ErrorClass<unknown>;
  readonly APIConnectionError: ErrorClass<unknown>;
  readonly APIError: ErrorClass<{ readonly status: number | undefined }>;
}

type ClientOf<Sdk extends VendorSdk> = InstanceType<Sdk>;
type ApiErrorOf<Sdk extends VendorSdk> = InstanceType<Sdk['APIError']>;

/** One vendor's API: how its SDK is loaded and configured, how the question is sent and the answer read. */
export interface Vendor<Sdk extends VendorSdk, Reply> {
  /** The first word of the model's name in reasons and logs, e.g. `anthropic`. */
  name: string;
  /** Loads the SDK, an optional peer, on first use (rejects with `MissingPeerError` when it is absent). */
  load(): Promise<Sdk>;
  /** The API's root when the configuration names none. */
  defaultBaseUrl: string;
  /** Client options beyond the common ones, set explicitly for the same reason. */
  clientOptions?: Partial<ConstructorParameters<Sdk>[0]>;
  /** Sends the one request, passing the SDK the request's signal. */
  send(client: ClientOf<Sdk>, model: string, request: TriageModelRequest): Promise<Reply>;
  /** The structured answer in the reply; throws `ModelUnavailableError` when it has none. */
  answer(reply: Reply): unknown;
  /** The vendor's error type for an answered request, e.g. `rate_limit_error`; checked before it is shown. */
  errorType(error: ApiErrorOf<Sdk>): unknown;
}

/** A vendor with its SDK's types left behind, so that no public declaration names them (they are optional peers). */
export interface VendorApi {
  readonly name: string;
  /** The model's one request: loads and connects the SDK on the first call. */
  connect(options: TriageModelOptions): (request: TriageModelRequest) => Promise<unknown>;
}

/**
 * One request through the vendor's SDK, which is loaded and connected on the first call. Any failure —
 * the SDK missing, a timeout, a connection, an HTTP error — becomes the `ModelUnavailableError` the
 * triage falls back to the rules on.
 */
export function defineVendor<Sdk extends VendorSdk, Reply>(vendor: Vendor<Sdk, Reply>): VendorApi {
  return {
    name: vendor.name,
    connect(options) {
      // Everything explicit, so no variable of the host process (ANTHROPIC_*, OPENAI_*) changes where the key goes.
      const clientOptions: ClientOptions = {
        ...vendor.clientOptions,
        apiKey: options.apiKey,
        baseURL: options.baseUrl ?? vendor.defaultBaseUrl,
        maxRetries: 0,
        timeout: options.timeoutMs,
        logLevel: 'off',
      };
      let connection: Promise<{ sdk: Sdk; client: ClientOf<Sdk> }> | undefined;
      return async (request) => {
        let sdk: Sdk;
        let client: ClientOf<Sdk>;
        try {
          connection ??= vendor.load().then((loaded) => ({
            sdk: loaded,
            client: new loaded(clientOptions) as ClientOf<Sdk>,
          }));
          ({ sdk, client } = await connection);
        } catch (error) {
          throw sdkUnavailable(error);
        }
        let reply: Reply;
        try {
          reply = await vendor.send(client, options.model, request);
        } catch (error) {
          throw requestFailure(sdk, vendor.errorType, error, request.signal);
        }
        return vendor.answer(reply);
      };
    },
  };
}

/**
 * A model behind a vendor's API. Retries are off: one triage is one HTTP request, and the rules answer
 * if it fails.
 */
export class VendorTriageModel implements TriageModel {
  readonly name: string;
  readonly #ask: (request: TriageModelRequest) => Promise<unknown>;

  constructor(vendor: VendorApi, options: TriageModelOptions) {
    this.name = `${vendor.name} ${options.model}`;
    this.#ask = vendor.connect(options);
  }

  ask(request: TriageModelRequest): Promise<unknown> {
    return this.#ask(request);
  }
}

function requestFailure<Sdk extends VendorSdk>(
  sdk: Sdk,
  errorType: (error: ApiErrorOf<Sdk>) => unknown,
  error: unknown,
  signal: AbortSignal,
): ModelUnavailableError {
  if (signal.aborted || error instanceof sdk.APIConnectionTimeoutError) {
    return new ModelUnavailableError('timeout', 'timeout');
  }
  if (error instanceof sdk.APIConnectionError) {
    return new ModelUnavailableError('connection', 'connection failed');
  }
  if (isApiError(sdk, error) && error.status !== undefined) {
    return new ModelUnavailableError('api-error', apiErrorDetail(error.status, errorType(error)));
  }
  return clientError(error);
}

// `instanceof` alone would narrow to the constraint, not to this SDK's own error class.
function isApiError<Sdk extends VendorSdk>(sdk: Sdk, error: unknown): error is ApiErrorOf<Sdk> {
  return error instanceof sdk.APIError;
}

// snake_case words only: a server echoing the key (or anything else) into the field cannot leak it.
const ERROR_TYPE = /^[a-z]{1,32}(?:_[a-z]{1,32}){0,4}$/;

/** `HTTP 429 rate_limit_error`: the status and the vendor's error type when it looks like one. */
function apiErrorDetail(status: number, errorType: unknown): string {
  return typeof errorType === 'string' && ERROR_TYPE.test(errorType)
    ? `HTTP ${status} ${errorType}`
    : `HTTP ${status}`;
}

/**
 * Why a model could not even be reached because its SDK did not load: `not-installed` for a missing
 * optional peer (`the package openai is not installed`), otherwise the error's class only.
 */
function sdkUnavailable(error: unknown): ModelUnavailableError {
  if (error instanceof MissingPeerError) {
    return new ModelUnavailableError('not-installed', `the package ${error.packageName} is not installed`);
  }
  return clientError(error);
}

/** A failure inside the client itself: its class only, since its message may quote the request. */
function clientError(error: unknown): ModelUnavailableError {
  return new ModelUnavailableError('connection', `client error ${error instanceof Error ? error.name : ''}`);
}
