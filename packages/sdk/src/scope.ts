import type { FactorySettings } from './settings.ts';
import type { WorkItem } from './work-item.ts';

/**
 * The safety gate: whether an item is inside the explicit opt-in scope. It comes on top of the
 * provider's readiness, so a team's backlog is only touched where it said so.
 */
export function outsideScope(item: WorkItem, scope: FactorySettings['scope']): string | undefined {
  const labels = new Set(item.labels.map((label) => label.toLowerCase()));
  const missing = scope.labels.filter((label) => !labels.has(label.toLowerCase()));
  if (missing.length > 0)
    return `outside the opt-in scope: missing label ${missing.map((l) => `"${l}"`).join(', ')}`;
  if (scope.titlePrefix !== undefined && !item.title.startsWith(scope.titlePrefix)) {
    return `outside the opt-in scope: the title does not start with "${scope.titlePrefix}"`;
  }
  if (scope.teams && !scope.teams.includes(item.team ?? '')) {
    return `outside the opt-in scope: team ${item.team ?? '(none)'} is not one of ${scope.teams.join(', ')}`;
  }
  if (scope.projects && !scope.projects.includes(item.project ?? '')) {
    return `outside the opt-in scope: project ${item.project ?? '(none)'} is not one of ${scope.projects.join(', ')}`;
  }
  return undefined;
}
