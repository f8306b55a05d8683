import type { RenderOptions, TaskTemplate } from './ports/task-template.ts';
import type { RouteDecision } from './ports/triage.ts';
import type { OutputSnapshot, WorkItem } from './work-item.ts';

export const DEFAULT_TASK_TEXT = `You are working on {{item.key}}: {{item.title}}

Repository: {{repository}}
Work on the branch \`{{branch}}\` and open a pull request from it whose title starts with "{{item.key}}".
Open it as a draft while you work; mark it ready for review when the work is complete.

## The work item
{{item.description}}

{{answers}}## Source
{{item.url}}
`;

export interface TemplateOptions {
  /** The task text with `{{placeholders}}`; see DEFAULT_TASK_TEXT. */
  text?: string;
  /** Branch prefix; the branch is `<prefix><key in lower case>`. */
  branchPrefix?: string;
}

/**
 * A template with placeholders: `{{item.key}}`, `{{item.title}}`, `{{item.description}}`, `{{item.url}}`,
 * `{{item.labels}}`, `{{repository}}`, `{{agent}}`, `{{route}}`, `{{branch}}`, `{{attempt}}`, `{{answers}}`.
 * It names no organisation, repository, tool or tracker: those come from the item and the route.
 */
export class DefaultTaskTemplate implements TaskTemplate {
  readonly #text: string;
  readonly #prefix: string;
  readonly #keyPattern: RegExp;

  constructor(options: TemplateOptions = {}) {
    this.#text = options.text ?? DEFAULT_TASK_TEXT;
    this.#prefix = options.branchPrefix ?? 'factory/';
    // A key is letters/digits, a dash and a number (ENG-123), as trackers write them.
    this.#keyPattern = /\b([A-Za-z][A-Za-z0-9]*-\d+)\b/;
  }

  render(item: WorkItem, route: RouteDecision, options: RenderOptions): string {
    const answers =
      options.answers.length > 0
        ? `## Clarifications\n${options.answers.map((answer) => `- ${answer.author}: ${answer.text}`).join('\n')}\n\n`
        : '';
    const values: Record<string, string> = {
      'item.key': item.key,
      'item.title': item.title,
      'item.description': item.description,
      'item.url': item.source.url ?? '',
      'item.labels': item.labels.join(', '),
      repository: route.repository,
      agent: route.agent,
      route: route.name,
      branch: options.branch,
      attempt: String(options.attempt),
      answers,
    };
    return this.#text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (match, name: string) => values[name] ?? match);
  }

  branchName(item: WorkItem): string {
    return `${this.#prefix}${item.key.toLowerCase()}`;
  }

  findWorkItemKey(output: Pick<OutputSnapshot, 'branch' | 'title' | 'body'>): string | undefined {
    if (output.branch?.startsWith(this.#prefix)) {
      const fromBranch = this.#keyPattern.exec(output.branch.slice(this.#prefix.length));
      if (fromBranch?.[1]) return fromBranch[1].toUpperCase();
    }
    const fromTitle = output.title ? this.#keyPattern.exec(output.title) : null;
    return fromTitle?.[1]?.toUpperCase();
  }
}
