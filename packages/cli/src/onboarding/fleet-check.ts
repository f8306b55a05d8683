import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatWait, unreachableHost } from '@software-factory/auth';
import { AgentRelayFleet } from '@software-factory/fleets';
import { errorMessage } from '@software-factory/sdk';
import type { FactoryConfig, TenantConfig } from '../config/config-schema.ts';
import type { Environment } from '../config/secret-reference.ts';
import { type AgentCommand, missingProgram, normalizeAgentCommand } from '../local-process-command.ts';
import { assertGitRepository } from '../local-process-git.ts';

/** What is checked of a fleet: where agents run must be usable before work is taken. */
export type FleetCheckName = 'agent command' | 'repository' | 'endpoint' | 'package';

/** One row of `factory check` for a tenant's fleet, and one entry of its `--json` `fleet` list. */
export interface FleetRow {
  tenant: string;
  /** The fleet's `type`: local, http, github-actions, agent-relay. */
  fleet: string;
  check: FleetCheckName;
  ok: boolean;
  /** Why it cannot be used. */
  reason?: string;
  /** What to do about it. */
  fix?: string;
}

export type FleetFinding = Omit<FleetRow, 'tenant' | 'fleet'>;

/** How long the endpoint of a remote fleet has to answer at all. */
export const ENDPOINT_TIMEOUT_MS = 5_000;

/** What the local fleet needs: the fields of `fleet: { type: local }`, paths as the config loader resolved them. */
export interface LocalFleetSpec {
  command: AgentCommand;
  repository: string;
  env?: Readonly<Record<string, string>>;
}

/**
 * The local fleet's agent command and repository, checked with the functions `LocalProcessFleet.check()`
 * runs before `factory start` serves (`missingProgram`, `assertGitRepository`), on the same inputs
 * (the command made absolute against `baseDir`, the fleet's `env.PATH` before the process's), so check,
 * init and start agree on what is wrong.
 */
export async function checkLocalFleet(
  fleet: LocalFleetSpec,
  options: { baseDir: string; env: Environment },
): Promise<FleetFinding[]> {
  return [
    await checkAgentCommand(fleet, options),
    await checkRepository(path.resolve(options.baseDir, fleet.repository)),
  ];
}

async function checkAgentCommand(
  fleet: LocalFleetSpec,
  options: { baseDir: string; env: Environment },
): Promise<FleetFinding> {
  const check = 'agent command';
  let command: AgentCommand;
  try {
    command = normalizeAgentCommand(fleet.command, options.baseDir);
  } catch (error) {
    return { check, ok: false, reason: withoutFleetPrefix(error), fix: 'set fleet.command' };
  }
  const missing = missingProgram(command, fleet.env?.PATH ?? options.env.PATH);
  if (!missing) return { check, ok: true };
  const program = programOf(command);
  return {
    check,
    ok: false,
    reason: missing,
    fix: path.isAbsolute(program)
      ? `make ${program} executable, or change fleet.command`
      : `install ${program} so that it is on PATH, or change fleet.command`,
  };
}

async function checkRepository(repository: string): Promise<FleetFinding> {
  const check = 'repository';
  try {
    await assertGitRepository(repository);
    return { check, ok: true };
  } catch (error) {
    const shown = shortPath(repository);
    return {
      check,
      ok: false,
      reason: withoutFleetPrefix(error),
      fix: existsSync(repository)
        ? `git init ${shown} (or clone into it), or change fleet.repository`
        : `clone your repository to ${shown}, or change fleet.repository`,
    };
  }
}

/** Where a remote fleet is reached, and the config field that says so. */
type FleetConfig = NonNullable<TenantConfig['fleet']>;

export function remoteEndpoint(fleet: FleetConfig): { url: string; field: string } | undefined {
  switch (fleet.type) {
    case 'local':
      return undefined;
    case 'http':
      return { url: fleet.url, field: 'fleet.url' };
    case 'github-actions':
      return { url: fleet.baseUrl ?? 'https://api.github.com', field: 'fleet.baseUrl' };
    case 'agent-relay':
      // @agent-relay/sdk's default, the Agent Relay cloud (relaycast).
      return { url: fleet.baseUrl ?? 'https://cast.agentrelay.com', field: 'fleet.baseUrl' };
  }
}

/**
 * Whether a remote fleet's endpoint answers at all, within `timeoutMs`: any HTTP answer (a 401 or 404
 * included) shows the host is there; no answer is a failure that names the host. Nothing is sent but a
 * GET without credentials, and redirects are not followed.
 */
export async function checkEndpoint(
  endpoint: { url: string; field: string },
  timeoutMs = ENDPOINT_TIMEOUT_MS,
): Promise<FleetFinding> {
  const check = 'endpoint';
  const host = new URL(endpoint.url).host;
  const fix = `check ${endpoint.field} and the network`;
  try {
    const response = await fetch(endpoint.url, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    return { check, ok: true };
  } catch (error) {
    if (error instanceof Error && error.name === 'TimeoutError')
      return { check, ok: false, reason: `no answer from ${host} within ${formatWait(timeoutMs)}`, fix };
    const unreachable = unreachableHost(error, endpoint.url);
    return {
      check,
      ok: false,
      reason: unreachable?.message ?? `cannot reach ${host} (${errorMessage(error)})`,
      fix,
    };
  }
}

/**
 * Whether Agent Relay's SDK (an optional peer dependency) loads: `AgentRelayFleet.check()`, which
 * `factory start` runs too. No request is made.
 */
async function checkAgentRelayPackage(fleet: Extract<FleetConfig, { type: 'agent-relay' }>) {
  const check = 'package';
  const { type: _type, ...options } = fleet;
  try {
    await new AgentRelayFleet(
      Object.fromEntries(
        Object.entries(options).filter(([, value]) => value !== undefined),
      ) as typeof options,
    ).check();
    return { check, ok: true } satisfies FleetFinding;
  } catch (error) {
    return {
      check,
      ok: false,
      reason: errorMessage(error),
      fix: 'npm install @agent-relay/sdk',
    } satisfies FleetFinding;
  }
}

/** The findings for one tenant's fleet: local checks on this machine, or the remote endpoint. */
export async function checkTenantFleet(
  tenant: TenantConfig,
  options: { baseDir: string; env: Environment; timeoutMs?: number },
): Promise<FleetRow[]> {
  const { fleet } = tenant;
  // No fleet yet: nothing to check here; `factory check` lists it among what `factory start` needs.
  if (!fleet) return [];
  const endpoint = remoteEndpoint(fleet);
  const findings: FleetFinding[] =
    fleet.type === 'local'
      ? await checkLocalFleet(fleet, options)
      : endpoint
        ? [await checkEndpoint(endpoint, options.timeoutMs)]
        : [];
  if (fleet.type === 'agent-relay') findings.push(await checkAgentRelayPackage(fleet));
  return findings.map((finding) => ({ tenant: tenant.id, fleet: fleet.type, ...finding }));
}

/** Every tenant's fleet rows, in tenant order. */
export async function checkFleets(
  config: FactoryConfig,
  env: Environment,
  timeoutMs?: number,
): Promise<FleetRow[]> {
  const rows = await Promise.all(
    config.tenants.map((tenant) =>
      checkTenantFleet(tenant, {
        baseDir: config.baseDir,
        env,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      }),
    ),
  );
  return rows.flat();
}

/** `factory init`'s warnings: one line per thing it cannot find, with what to do. */
export function fleetWarnings(findings: readonly FleetFinding[], configFile: string): string[] {
  return findings
    .filter((finding) => !finding.ok)
    .map(
      (finding) =>
        `Warning: ${finding.reason}; ${finding.fix?.replace(/fleet\.\w+$/, `$& in ${configFile}`)}.`,
    );
}

function programOf(command: AgentCommand): string {
  return (typeof command === 'string' ? command.trim().split(/\s+/)[0] : command[0]) ?? '';
}

function withoutFleetPrefix(error: unknown): string {
  return errorMessage(error).replace(/^LocalProcessFleet: /, '');
}

/** A path as the person would type it here: relative to the working directory when that is shorter. */
function shortPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute) || '.';
  const shown = relative.length < absolute.length ? relative : absolute;
  return /^[\w./@+-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, "'\\''")}'`;
}
