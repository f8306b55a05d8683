import { parseSecretReference } from '../secret-references.ts';

/** One problem of a tenant's config: where it is (keys and list indexes) and what is wrong. */
export interface ConfigIssue {
  path: (string | number)[];
  message: string;
}

/**
 * Why a tenant's own admin may not make a change: it adds, removes or alters a secret reference or an
 * address (an http(s) URL). Both are the operator's: a tenant admin who could point `apiUrl` at a server
 * of their own, or name `${SOME_DEPLOYMENT_SECRET}` as a token, would have the factory send a secret of the
 * deployment to them. Everything else (labels, routes, limits, the task text) is the tenant's to change.
 */
export function operatorOnlyChanges(
  stored: Record<string, unknown>,
  proposed: Record<string, unknown>,
): ConfigIssue[] {
  const before = guardedValues(stored);
  const after = guardedValues(proposed);
  const issues: ConfigIssue[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const was = before.get(key);
    const is = after.get(key);
    if (was?.value === is?.value) continue;
    issues.push({
      path: (is ?? was)?.path ?? [],
      message:
        'only the operator can set a secret reference or an address (URL); a tenant admin can change the rest',
    });
  }
  return issues;
}

/** Every string of `value` that is a secret reference or an http(s) URL, by its path. */
function guardedValues(value: unknown): Map<string, { path: (string | number)[]; value: string }> {
  const found = new Map<string, { path: (string | number)[]; value: string }>();
  const visit = (item: unknown, path: (string | number)[]) => {
    if (typeof item === 'string') {
      if (isGuarded(item)) found.set(JSON.stringify(path), { path, value: item });
    } else if (Array.isArray(item)) {
      for (const [index, entry] of item.entries()) visit(entry, [...path, index]);
    } else if (typeof item === 'object' && item !== null)
      for (const [key, entry] of Object.entries(item)) visit(entry, [...path, key]);
  };
  visit(value, []);
  return found;
}

function isGuarded(text: string): boolean {
  if (parseSecretReference(text)) return true;
  if (!URL.canParse(text)) return false;
  const protocol = new URL(text).protocol;
  return protocol === 'http:' || protocol === 'https:';
}
