import type { WebhookSource } from '@software-factory/sdk';
import type { AddOnNeed } from '../registry/provider-add-on.ts';
import type { ProviderConfig, ProviderContext, RolePorts } from '../registry/provider-entry.ts';
import type { LinearProviderOptions } from './work-item-provider.ts';

/** The add-on of Linear's agent mode (see `linearAgentMode`), by which the Linear entry asks for it. */
export const LINEAR_AGENT_MODE = 'linear-agent-mode';

/** What the add-on gives the Linear entry: the intake of a Linear app's agent sessions, and its source. */
export interface LinearAgentModePart {
  intake(options: LinearProviderOptions): RolePorts['intentProvider'];
  /** The webhook source of `intake` (one this part made), its session events included. */
  source(intake: RolePorts['intentProvider'], secret: string, context: ProviderContext): WebhookSource;
}

/** What a Linear config needs: the add-on in agent mode. */
export function linearAddOns(config: ProviderConfig & { mode?: unknown }): AddOnNeed[] {
  return config.transport === 'direct' && config.mode === 'agent'
    ? [{ addOn: LINEAR_AGENT_MODE, path: ['mode'], asked: 'Linear’s agent mode (mode: agent)' }]
    : [];
}

/** The add-on the registry carries; a config parsed against this registry has it when it needs it. */
export function linearAgentModeOf(context: ProviderContext): LinearAgentModePart {
  const part = context.addOn?.(LINEAR_AGENT_MODE) as LinearAgentModePart | undefined;
  if (!part)
    throw new Error(
      'intentProvider: Linear’s agent mode is not in this build: register linearAgentMode with the providers',
    );
  return part;
}
