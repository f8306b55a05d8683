/**
 * The fakes, the harness and the signed test source without the conformance suite, so a bundled test
 * entry (a Worker, a Lambda bundle) can use them without pulling in the test runner.
 */
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
export { TestWebhookSource } from './test-webhook-source.ts';
