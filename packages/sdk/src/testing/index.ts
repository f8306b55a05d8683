export {
  type CredentialStoreCheck,
  type CredentialStoreOpener,
  credentialStoreChecks,
  credentialStoreConformance,
  type OpenedCredentialStore,
} from './credential-store-conformance.ts';
export * from './fakes-entry.ts';
export {
  type ConformanceCheck,
  describeStateStoreConformance,
  type StoreFactory,
  stateStoreChecks,
} from './state-store-conformance.ts';
