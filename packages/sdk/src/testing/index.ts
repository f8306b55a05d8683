export * from './fakes-entry.ts';
export {
  type ConformanceCheck,
  describeStateStoreConformance,
  type StoreFactory,
  stateStoreChecks,
} from './state-store-conformance.ts';
