import path from 'node:path';
import {
  GithubOutputTarget,
  GithubWebhookSource,
  LinearWebhookSource,
  LinearWorkItemProvider,
  SlackClarificationChannel,
  SlackWebhookSource,
} from 'factory-providers';
import {
  MountClarificationChannel,
  type MountEventSource,
  MountOutputTarget,
  MountWorkItemProvider,
  RelayfileMount,
  RelayfileWebhookSource,
} from 'factory-relayfile';
import { DirectoryMount } from 'factory-relayfile/directory-mount';
import {
  type ClarificationChannel,
  type Connectable,
  type ConnectionReport,
  createFactory,
  DefaultTaskTemplate,
  type Factory,
  type FactoryEvent,
  type FactorySettingsInput,
  factorySettingsSchema,
  type HandleResult,
  type Logger,
  type Mount,
  type OutputTarget,
  RuleTriage,
  type StateStore,
  type TenantRuntime,
  type WebhookSource,
  type WorkItemProvider,
} from 'factory-sdk';
import type { TenantConfig } from './config/config-schema.ts';
import { LocalProcessFleet } from './local-process-fleet.ts';
import { LocalWritebackMount } from './local-writeback-mount.ts';
import { MountFeed } from './mount-feed.ts';

export interface TenantDependencies {
  store: StateStore;
  logger: Logger;
  /** Where the fleet keeps its agents when the config does not say (`<dir>/fleet/<tenant>`). */
  stateDir: string;
  /** The config file's folder: relative program paths in the agent command resolve against it. */
  baseDir: string;
  /** Told about every event this tenant handled, whoever delivered it. */
  onResult?: (tenant: string, event: FactoryEvent, result: HandleResult) => void;
}

/** One tenant of `factory start`: what the HTTP app and the tick need, plus the local moving parts. */
export interface NodeTenant {
  runtime: TenantRuntime;
  fleet: LocalProcessFleet;
  /** Checks what can be checked before taking work: the agent command and its repository. */
  check(): Promise<void>;
  /** Starts pushing folder changes and reports agents that ended while the factory was down. */
  start(): Promise<void>;
  /** Replays what a local folder holds; the tick calls it as the safety net for missed changes. */
  catchUp(): Promise<void>;
  close(): Promise<void>;
}

const CONNECTION_TTL_MS = 60_000;

/** Builds one tenant's providers, fleet, triage, template and factory from its config. */
export function tenantFromConfig(config: TenantConfig, deps: TenantDependencies): NodeTenant {
  const { logger } = deps;
  let handle: (event: FactoryEvent) => Promise<HandleResult> = async () => {
    throw new Error('the factory is not built yet');
  };

  const mount = config.mount ? mountFromConfig(config) : undefined;
  const sources: WebhookSource[] = [];
  const mountSources: MountEventSource[] = [];

  const intake = config.intentProvider;
  let workItems: WorkItemProvider;
  if (intake.transport === 'direct') {
    const { type: _t, transport: _r, apiKey, webhookSecret, ...options } = intake;
    const provider = new LinearWorkItemProvider({ ...options, token: apiKey });
    sources.push(new LinearWebhookSource({ secret: webhookSecret, provider }));
    workItems = provider;
  } else {
    const provider = new MountWorkItemProvider({
      mount: requireMount(mount),
      stateIds: intake.stateIds,
      readyState: intake.readyState,
      readyLabels: intake.readyLabels,
    });
    mountSources.push(provider);
    workItems = provider;
  }

  const chat = config.clarificationChannel;
  let clarifications: ClarificationChannel;
  if (chat.transport === 'direct') {
    const { type: _t, transport: _r, botToken, signingSecret, botUserId, ...options } = chat;
    const channel = new SlackClarificationChannel({ ...options, token: botToken });
    sources.push(
      new SlackWebhookSource({
        signingSecret,
        channel: channel.channel,
        ...(botUserId ? { botUserId } : {}),
      }),
    );
    clarifications = channel;
  } else {
    const channel = new MountClarificationChannel({
      mount: requireMount(mount),
      channel: chat.channel,
      ...(chat.botUserId ? { botUserId: chat.botUserId } : {}),
    });
    mountSources.push(channel);
    clarifications = channel;
  }

  const code = config.outputTarget;
  let outputs: OutputTarget;
  if (code.transport === 'direct') {
    const { type: _t, transport: _r, token, webhookSecret, ...options } = code;
    outputs = new GithubOutputTarget({ ...options, token, logger });
    sources.push(new GithubWebhookSource({ secret: webhookSecret }));
  } else {
    const target = new MountOutputTarget({
      mount: requireMount(mount),
      ...(code.repositories ? { repositories: code.repositories } : {}),
    });
    mountSources.push(target);
    outputs = target;
  }

  if (mount instanceof RelayfileMount && config.mount?.type === 'relayfile') {
    sources.push(
      new RelayfileWebhookSource({ secret: config.mount.webhookSecret, mount, sources: mountSources }),
    );
  }

  const fleet = new LocalProcessFleet({
    command: config.fleet.command,
    repository: config.fleet.repository,
    stateDir: config.fleet.stateDir ?? path.join(deps.stateDir, 'fleet', config.id),
    env: config.fleet.env,
    passEnv: config.fleet.passEnv,
    baseDir: deps.baseDir,
    onExit: async (exit) => {
      await handle({
        type: 'agent.exited',
        agentId: exit.agentId,
        outcome: exit.outcome,
        workItemId: exit.workItemId,
        ...(exit.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
        ...(exit.reason !== undefined ? { reason: exit.reason } : {}),
      });
    },
  });

  const core = createFactory({
    tenant: config.id,
    settings: settingsOf(config),
    ports: {
      store: deps.store,
      workItems,
      clarifications,
      outputs,
      fleet,
      triage: new RuleTriage(config.routes),
      template: new DefaultTaskTemplate({
        ...(config.template.text !== undefined ? { text: config.template.text } : {}),
        ...(config.template.branchPrefix !== undefined ? { branchPrefix: config.template.branchPrefix } : {}),
      }),
      logger,
    },
  });
  handle = async (event) => {
    const result = await core.handle(event);
    deps.onResult?.(config.id, event, result);
    return result;
  };
  const factory: Factory = { tenant: core.tenant, settings: core.settings, ports: core.ports, handle };

  const feed =
    mount instanceof LocalWritebackMount
      ? new MountFeed({ tenant: config.id, mount, sources: mountSources, handle, logger })
      : undefined;

  const roles: [Connectable, ConnectionReport['role']][] = [
    [workItems, 'intake'],
    [clarifications, 'clarification'],
    [outputs, 'output'],
  ];
  let cached: { at: number; reports: Promise<ConnectionReport[]> } | undefined;
  const runtime: TenantRuntime = {
    id: config.id,
    factory,
    sources: new Map(sources.map((source) => [source.source, source])),
    connections() {
      const now = Date.now();
      if (!cached || now - cached.at >= CONNECTION_TTL_MS)
        cached = { at: now, reports: Promise.all(roles.map(([port, role]) => report(port, role))) };
      return cached.reports;
    },
  };

  return {
    runtime,
    fleet,
    check: () => fleet.check(),
    async start() {
      feed?.start();
      await fleet.recover();
    },
    async catchUp() {
      await feed?.catchUp();
    },
    async close() {
      await feed?.close();
      fleet.close();
    },
  };
}

function mountFromConfig(config: TenantConfig): Mount | undefined {
  const mount = config.mount;
  if (!mount) return undefined;
  if (mount.type === 'relayfile')
    return new RelayfileMount({ baseUrl: mount.baseUrl, token: mount.token, workspaceId: mount.workspace });
  const intake = config.intentProvider;
  // A local folder stands in for the vendors too, so the tracker's state ids must be known here.
  const stateIds =
    intake.transport === 'relayfile' ? intake.stateIds : { dispatched: 'in-progress', done: 'done' };
  return new LocalWritebackMount(new DirectoryMount(mount.path), { stateIds });
}

function requireMount(mount: Mount | undefined): Mount {
  // The config schema already insists on a mount for relayfile transport; this keeps the types honest.
  if (!mount) throw new Error('transport "relayfile" needs a mount');
  return mount;
}

/** The tenant's factory settings: the config keys the core's settings schema declares. */
function settingsOf(config: TenantConfig): FactorySettingsInput {
  const settings: Record<string, unknown> = {};
  for (const key of Object.keys(factorySettingsSchema.shape))
    settings[key] = config[key as keyof TenantConfig];
  return settings as FactorySettingsInput;
}

async function report(port: Connectable, role: ConnectionReport['role']): Promise<ConnectionReport> {
  try {
    return { provider: port.provider, role, status: await port.checkConnection() };
  } catch (error) {
    return {
      provider: port.provider,
      role,
      status: { state: 'error', message: error instanceof Error ? error.message : String(error) },
    };
  }
}
