import type { RouteDecision, Triage, TriageDecision, TriageInput } from './ports/triage.ts';
import type { RouteConfig } from './settings.ts';
import type { WorkItem } from './work-item.ts';

const MIN_DESCRIPTION_WORDS = 12;
const CRITERIA =
  /(acceptance criteria|done when|expected( behaviou?r)?|should|must|steps to reproduce|- \[ \])/i;

/** The first configured route whose labels, team and project all match the item. */
export function matchRoute(item: WorkItem, routes: readonly RouteConfig[]): RouteConfig | undefined {
  const labels = new Set(item.labels.map((label) => label.toLowerCase()));
  return routes.find(
    (route) =>
      route.match.labels.every((label) => labels.has(label.toLowerCase())) &&
      (route.match.team === undefined || route.match.team === item.team) &&
      (route.match.project === undefined || route.match.project === item.project),
  );
}

/** How many runs of non-space characters `text` has (as `text.split(/\s+/)` finds them), counted in place. */
function words(text: string): number {
  let count = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) count++;
    inWord = !space;
  }
  return count;
}

/** The characters `\s` matches. */
function isSpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Routing by config rules; confidence from how complete the item is: a title, a description of some
 * length, something that says when it is done. Clarification answers count towards the description.
 */
export class RuleTriage implements Triage {
  readonly #routes: readonly RouteConfig[];

  constructor(routes: readonly RouteConfig[]) {
    this.#routes = routes;
  }

  async triage({ item, answers }: TriageInput): Promise<TriageDecision> {
    const route = matchRoute(item, this.#routes);
    const reasons: string[] = [];
    if (!route) {
      reasons.push(
        `no route matches labels [${item.labels.join(', ')}]${item.team ? `, team ${item.team}` : ''}`,
      );
      return { confidence: 0, reasons };
    }
    reasons.push(`route ${route.name} matches`);
    const text = [item.description, ...answers.map((answer) => answer.text)].join('\n');
    let confidence = 0.2;
    if (words(item.title) >= 3) confidence += 0.2;
    else reasons.push('the title is very short');
    const descriptionWords = words(text);
    if (descriptionWords >= MIN_DESCRIPTION_WORDS) confidence += 0.3;
    else reasons.push(`the description has ${descriptionWords} words`);
    const saysWhenDone = CRITERIA.test(text);
    if (saysWhenDone) confidence += 0.3;
    else reasons.push('nothing says when it is done');
    const decision: TriageDecision = {
      route: routeDecision(route),
      confidence: Math.min(1, confidence),
      reasons,
    };
    if (descriptionWords < MIN_DESCRIPTION_WORDS) {
      decision.question = `"${item.title}" is short on detail. What should change, and how will we know it is done?`;
    } else if (!saysWhenDone) {
      decision.question = `How will we know "${item.title}" is done? What should be true when it is finished?`;
    }
    return decision;
  }
}

/** The route a triage decides on, as the decision names it: what the dispatch and its slots need. */
export function routeDecision(route: RouteConfig): RouteDecision {
  return {
    name: route.name,
    repository: route.repository,
    agent: route.agent,
    ...(route.maxInFlight !== undefined ? { maxInFlight: route.maxInFlight } : {}),
  };
}
