export { type CursorState, readCursorFile, writeCursorFile } from './cursor-file.ts';
export {
  type RelayWorker,
  type RelayWorkerHooks,
  type RelayWorkerMode,
  type RelayWorkerStatus,
  runRelayWorker,
} from './relay-worker.ts';
export {
  type RelayWorkerOptions,
  RelayWorkerOptionsError,
  type RelayWorkerOptionsInput,
  relayWorkerOptionsSchema,
  resolveRelayWorkerOptions,
} from './relay-worker-options.ts';
