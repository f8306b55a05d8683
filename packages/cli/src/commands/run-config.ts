import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import { CliError, EXIT_USAGE } from '../cli-error.ts';
import type { FactoryConfig } from '../config/config-schema.ts';
import { loadConfig, parseConfig } from '../config/load-config.ts';
import { type LocalSetup, localSetupConfig, localSetupYaml } from '../local-setup.ts';

/**
 * Which factory a command runs or looks at: `--config <file>`, else ./factory.config.yaml, else the
 * built-in local setup for `--mount <dir>` (state in ./.factory/). `factory start` and `factory status`
 * both use it, so the two always mean the same factory.
 */
export const DEFAULT_CONFIG = 'factory.config.yaml';

/** Where the built-in local setup keeps its state, relative to the working directory. */
export const LOCAL_STATE_DIR = '.factory';

export interface RunConfigOptions {
  config?: string;
  mount?: string;
}

/** `-c, --config <file>`, as `start` and `status` take it. */
export function configOption(): Option {
  return new Option('-c, --config <file>', `the config file (default: ./${DEFAULT_CONFIG} if it exists)`);
}

/** `--mount <dir>`, as `start` and `status` take it. */
export function mountOption(): Option {
  return new Option(
    '--mount <dir>',
    `a local folder in relayfile's layout (drop work item files in it); without a config file, the built-in local setup with its state in ./${LOCAL_STATE_DIR}/`,
  );
}

/** Builds the config of the built-in local setup; `factory start` makes its demo repository on the way. */
export type BuiltInSetup = (setup: LocalSetup) => Promise<FactoryConfig>;

/** The config to run or read: --config, else ./factory.config.yaml, else the built-in local setup for --mount. */
export async function runConfig(
  options: RunConfigOptions,
  builtIn: BuiltInSetup = localSetupConfig,
): Promise<FactoryConfig> {
  const mountDir = options.mount ? existingFolder(options.mount) : undefined;
  const file = options.config ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);
  if (!file) {
    if (!mountDir)
      throw new CliError(
        `no ${DEFAULT_CONFIG} here; pass --config <file>, or --mount <dir> to run against a local folder`,
        EXIT_USAGE,
      );
    const stateDir = path.resolve(LOCAL_STATE_DIR);
    return builtIn({ mountDir, stateDir, repository: path.join(stateDir, 'demo-repo') });
  }
  const config = await loadConfig(file, process.env);
  if (!mountDir) return config;
  const [tenant, ...others] = config.tenants;
  if (!tenant || others.length > 0)
    throw new CliError(`--mount works with one tenant; ${file} has several`, EXIT_USAGE);
  const roles = [tenant.intentProvider, tenant.clarificationChannel, tenant.outputTarget];
  if (!roles.some((role) => role.transport === 'relayfile'))
    throw new CliError(`--mount needs a provider with transport: relayfile in ${file}`, EXIT_USAGE);
  tenant.mount = { type: 'directory', path: mountDir };
  return config;
}

/**
 * The built-in local setup for a command that only reads it (`factory status`): the same config
 * `factory start --mount` runs, without making the demo repository or an empty state store. Where
 * `factory start --mount` never ran, there is nothing to read, and it says so.
 */
export const existingLocalSetup: BuiltInSetup = async (setup) => {
  const state = path.join(setup.stateDir, 'state.sqlite');
  if (!existsSync(state))
    throw new CliError(
      `no factory state in ${setup.stateDir}: run this where \`factory start --mount\` runs (it keeps its state in ./${LOCAL_STATE_DIR}/), or pass --config <file>`,
      EXIT_USAGE,
    );
  // No dashboard here, so no admin token either.
  return parseConfig(localSetupYaml({ ...setup, env: {} }), {
    fileName: '<built-in local setup>',
    baseDir: setup.stateDir,
    env: {},
  });
};

function existingFolder(dir: string): string {
  const absolute = path.resolve(dir);
  let isFolder = false;
  try {
    isFolder = statSync(absolute).isDirectory();
  } catch {}
  if (!isFolder) throw new CliError(`--mount ${dir}: no such folder`, EXIT_USAGE);
  return absolute;
}
