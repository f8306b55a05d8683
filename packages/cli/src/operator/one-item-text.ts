import type { HandleResult, PlannedWrite, TriageDecision, WorkItem } from '@software-factory/sdk';

export function renderItem(item: WorkItem): string {
  return `${item.key}  "${item.title}"  [${item.state}${item.labels.length > 0 ? `; ${item.labels.join(', ')}` : ''}]${item.source.url ? `  ${item.source.url}` : ''}`;
}

export function renderDecision(decision: TriageDecision): string[] {
  const route = decision.route
    ? `${decision.route.name} → ${decision.route.repository} (agent ${decision.route.agent})`
    : 'none matches';
  return [
    `triage${decision.decidedBy ? ` (${decision.decidedBy})` : ''}:`,
    `  route       ${route}`,
    `  confidence  ${decision.confidence.toFixed(2)}`,
    ...(decision.question ? [`  question    ${decision.question}`] : []),
    '  reasons',
    ...(decision.reasons.length > 0
      ? decision.reasons.map((reason) => `    - ${reason}`)
      : ['    (none given)']),
  ];
}

/** Every write of a dry run, with what it would say or start in full. */
export function renderPlan(plan: readonly PlannedWrite[]): string[] {
  if (plan.length === 0) return ['plan: no writes'];
  const lines = [`plan: ${plan.length} write${plan.length === 1 ? '' : 's'}, none made`];
  plan.forEach((write, index) => {
    const on = write.workItemKey ? ` ${write.workItemKey}` : '';
    const head = `  ${index + 1}. ${write.port} ${write.action}${on}`;
    const detail = write.detail;
    switch (write.action) {
      case 'set-state':
        lines.push(`${head} → ${String(detail.state)}`);
        break;
      case 'comment':
        lines.push(`${head}:`, ...indented(String(detail.body)));
        break;
      case 'open-thread':
        lines.push(`${head}, asking:`, ...indented(String(detail.question)));
        break;
      case 'reply':
        lines.push(`${head} in ${String(detail.threadId)}:`, ...indented(String(detail.text)));
        break;
      case 'spawn': {
        const route = detail.route as { name?: string; repository?: string; agent?: string } | undefined;
        lines.push(
          `${head}: agent ${route?.agent ?? '?'} in ${route?.repository ?? '?'} on branch ${String(detail.branch)} (attempt ${String(detail.attempt)}), task:`,
          ...indented(String(detail.task)),
        );
        break;
      }
      default:
        lines.push(`${head} ${JSON.stringify(detail)}`);
    }
  });
  return lines;
}

export function renderOutcome(result: HandleResult): string[] {
  return [
    `outcome: ${result.outcome} (${result.reason})`,
    ...result.transitions.map(
      (transition) => `  ${transition.from ?? 'new'} → ${transition.to}: ${transition.reason}`,
    ),
    ...result.effects.map((effect) => `  did: ${effect}`),
    ...(result.error ? [`  unfinished: ${result.error} (the next delivery or tick finishes it)`] : []),
  ];
}

function indented(text: string): string[] {
  return text.split('\n').map((line) => `       ${line}`.trimEnd());
}
