// The core's one logger, writing to the console (CloudWatch ships it as is).
export { consoleJsonLogger } from '@software-factory/sdk';
export { DynamoRequestCounter } from './dynamo-request-counter.ts';
export { DynamoStateStore, type DynamoStateStoreOptions } from './dynamo-state-store.ts';
export {
  keys as dynamoKeys,
  RECORDS_BY_STATUS_INDEX,
  RECORDS_BY_WAKE_AT_INDEX,
  TABLE_ATTRIBUTES,
} from './dynamo-table-layout.ts';
export {
  createLambdaHandlers,
  type LambdaHandlers,
  type LambdaHandlersOptions,
  type TickSummary,
} from './lambda-handlers.ts';
export { LambdaEventError, type LambdaHttpResult } from './lambda-http-event.ts';
export {
  AWS_SECRET_SCHEMES,
  AwsPlatformSecrets,
  type AwsPlatformSecretsOptions,
  type AwsSecretSource,
  awsSecretSource,
  PlatformSecretError,
  readAwsSecret,
  resolveAwsSecrets,
} from './platform-secrets.ts';
export { parseTickInvocation, type TickInvocation } from './schedule-event.ts';
