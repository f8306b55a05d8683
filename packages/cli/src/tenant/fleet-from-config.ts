import path from 'node:path';
import { AgentRelayFleet } from '@software-factory/fleets';
import { githubAppAuthOf, githubAppTokenFunction, readCredential } from '@software-factory/providers';
import type {
  AgentExitedEvent,
  AgentStatus,
  FleetClient,
  SpawnedAgent,
  WebhookSource,
} from '@software-factory/sdk';
import type { TenantConfig } from '../config/config-schema.ts';
import { httpFleetOf } from '../deploy/runtime/deployed-tenant.ts';
import { actionsFleetWith } from '../deploy/runtime/github-actions-fleet.ts';
import { LocalProcessFleet } from '../local-process-fleet.ts';
import { type ConfiguredCredentials, storedToken } from './credential-store-from-config.ts';

export interface ConfiguredFleet {
  fleet: FleetClient;
  /** Set for `type: local`: agents on this machine, which must be checked and recovered at start-up. */
  local?: LocalProcessFleet;
  /** Where a remote fleet reports exits: `/t/<tenant>/webhooks/fleet` or `…/github-actions`. */
  sources: WebhookSource[];
}

export interface FleetDependencies {
  credentials: ConfiguredCredentials;
  /** Where the local fleet keeps its agents when the config does not say (`<dir>/fleet/<tenant>`). */
  stateDir: string;
  baseDir: string;
  /** Told when a local agent ends (remote fleets report through their webhook source or the tick). */
  onExit: (event: AgentExitedEvent) => Promise<unknown>;
}

/**
 * Stands in for a fleet the config does not name yet: what only reads (`factory status`, `triage`) still
 * works, and a spawn says what to add. `factory start` refuses before it gets here.
 */
export class NoFleet implements FleetClient {
  readonly name = 'none';

  async spawn(): Promise<SpawnedAgent> {
    throw new Error(
      'no fleet is configured: add `fleet:` to the tenant (e.g. fleet: { type: local, command: claude -p })',
    );
  }

  async status(): Promise<AgentStatus> {
    return { state: 'unknown' };
  }

  async release(): Promise<void> {}
}

/** The fleet the tenant's `fleet:` block selects, with the webhook source its exits come back through. */
export function fleetFromConfig(config: TenantConfig, deps: FleetDependencies): ConfiguredFleet {
  const fleet = config.fleet;
  if (!fleet) return { fleet: new NoFleet(), sources: [] };
  switch (fleet.type) {
    case 'local': {
      const local = new LocalProcessFleet({
        command: fleet.command,
        repository: fleet.repository,
        stateDir: fleet.stateDir ?? path.join(deps.stateDir, 'fleet', config.id),
        env: fleet.env,
        passEnv: fleet.passEnv,
        baseDir: deps.baseDir,
        onExit: async (exit) => {
          await deps.onExit({
            type: 'agent.exited',
            agentId: exit.agentId,
            outcome: exit.outcome,
            workItemId: exit.workItemId,
            ...(exit.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
            ...(exit.reason !== undefined ? { reason: exit.reason } : {}),
          });
        },
      });
      return { fleet: local, local, sources: [] };
    }
    case 'http':
      return httpFleetOf(fleet);
    case 'github-actions': {
      const stored = storedToken(deps.credentials, config.id, 'github', undefined);
      const app = fleet.app
        ? githubAppAuthOf(
            fleet.app,
            { storedToken: (provider) => storedToken(deps.credentials, config.id, provider, undefined) },
            { provider: 'github', ...(fleet.baseUrl ? { baseUrl: fleet.baseUrl } : {}) },
          )
        : undefined;
      const token =
        (app ? githubAppTokenFunction(app) : fleet.token) ??
        (async () => {
          const credential = await readCredential(stored);
          if (!credential)
            throw new Error(
              'the github-actions fleet has no token; run `factory connect github` or set fleet.token',
            );
          return credential.accessToken;
        });
      return actionsFleetWith(token, fleet);
    }
    case 'agent-relay': {
      const { type: _type, ...options } = fleet;
      return {
        fleet: new AgentRelayFleet(
          Object.fromEntries(
            Object.entries(options).filter(([, value]) => value !== undefined),
          ) as typeof options,
        ),
        sources: [],
      };
    }
  }
}
