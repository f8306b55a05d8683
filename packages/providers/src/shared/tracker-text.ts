/** Tracker names (states, labels) compare without case, as people type them. */
export function sameText(a: string, b: string): boolean {
  return a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;
}

/** Ready when one of the item's state names is a ready one and it carries every required label. */
export function inReadyStateWithLabels(
  stateNames: readonly unknown[],
  readyNames: readonly string[],
  labels: readonly string[],
  requiredLabels: readonly string[],
): boolean {
  const names = stateNames.filter((value): value is string => typeof value === 'string');
  const inReadyState = readyNames.some((ready) => names.some((name) => sameText(ready, name)));
  return inReadyState && requiredLabels.every((label) => labels.some((has) => sameText(has, label)));
}
