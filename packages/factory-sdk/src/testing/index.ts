export {
  FakeClarificationChannel,
  FakeClock,
  FakeFleet,
  FakeOutputTarget,
  FakeWorkItemProvider,
  MemoryLogger,
} from './fakes.ts';
export { FaultInjector, type FaultMode, InjectedFault } from './faults.ts';
export { DEFAULT_TEST_SETTINGS, FactoryHarness, type HarnessOptions } from './harness.ts';
export { sampleRecord, sampleWorkItem } from './sample-record.ts';
export {
  type ConformanceCheck,
  describeStateStoreConformance,
  type StoreFactory,
  stateStoreChecks,
} from './state-store-conformance.ts';
export { TestWebhookSource } from './test-webhook-source.ts';
