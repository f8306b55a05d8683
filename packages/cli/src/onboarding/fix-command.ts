import path from 'node:path';

export const DEFAULT_CONFIG = 'factory.config.yaml';

/** Where the command was pointed, so the commands it prints can be pasted as they are. */
export interface CommandTarget {
  /** The --config given, if any. */
  config?: string | undefined;
  /** The tenant, when the config has several. */
  tenant?: string | undefined;
}

/** `factory connect <provider>` with the flags that reach the same config and tenant. */
export function connectCommand(provider: string, target: CommandTarget): string {
  const parts = ['factory connect', provider];
  if (target.config && path.normalize(target.config) !== DEFAULT_CONFIG)
    parts.push('--config', quote(target.config));
  if (target.tenant) parts.push('--tenant', target.tenant);
  return parts.join(' ');
}

function quote(value: string): string {
  return /^[\w./-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}
