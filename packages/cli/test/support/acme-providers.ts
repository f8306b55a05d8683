// A provider module as a config's `providers:` names one: its `providers` export is registered.
import { acmeTrackerProvider } from './fake-vendor.ts';

export const providers = [acmeTrackerProvider];
