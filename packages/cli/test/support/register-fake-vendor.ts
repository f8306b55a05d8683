// Loaded with `node --import` before `factory` starts, as a program that adds a vendor would do it.
import { providerRegistry } from '@software-factory/providers/registry';
import { acmeTrackerProvider } from './fake-vendor.ts';

providerRegistry.register(acmeTrackerProvider);
