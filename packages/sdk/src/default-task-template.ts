import type { RenderOptions, TaskTemplate } from './ports/task-template.ts';
import type { RouteDecision } from './ports/triage.ts';
import type { FeedbackNote } from './record.ts';
import { dataBlock, untrustedPreamble } from './untrusted-text.ts';
import type { OutputSnapshot, WorkItem } from './work-item.ts';

/**
 * The default task. Only fixed text and trusted values (the key, the repository and the branch, which
 * the factory and its config make) stand outside data blocks; the tracker's text is inside them.
 */
export const DEFAULT_TASK_TEXT = `You are working on {{item.key}}.

Repository: {{repository}}
Work on the branch \`{{branch}}\` and open a pull request from it whose title starts with "{{item.key}}".
Open it as a draft while you work; mark it ready for review when the work is complete.

## The work item

{{preamble}}

{{item.title}}

{{item.description}}

{{item.labels}}

{{answers}}{{feedback}}## Source

{{item.url}}
`;

export interface TemplateOptions {
  /** The task text with `{{placeholders}}`; see DEFAULT_TASK_TEXT. */
  text?: string;
  /** Branch prefix; the branch is `<prefix><key in lower case>`. */
  branchPrefix?: string;
}

/** Placeholders whose value is text from the tracker or the thread: each renders as a data block. */
const UNTRUSTED = new Set([
  'item.title',
  'item.description',
  'item.labels',
  'item.url',
  'question',
  'answers',
  'feedback',
]);

/**
 * A template with placeholders. Trusted, inline: `{{item.key}}`, `{{repository}}`, `{{agent}}`,
 * `{{route}}`, `{{branch}}`, `{{attempt}}`. Untrusted, each a data block (see `dataBlock`):
 * `{{item.title}}`, `{{item.description}}`, `{{item.labels}}`, `{{item.url}}`, `{{question}}` (the last
 * question asked, which may quote the item; empty when none was), `{{answers}}` (a `## Clarifications`
 * section with the question and one block per answer; empty when there is none), `{{feedback}}` (in a
 * round of review feedback, a `## Review feedback` section: fixed instructions, then one block per
 * review, comment or failed check; empty otherwise, and appended at the end of a text that does not
 * place it, so a round never reaches an agent without its feedback). `{{preamble}}` places
 * `untrustedPreamble`; a text without it gets the preamble right before its first data block.
 * It names no organisation, repository, tool or tracker: those come from the item and the route.
 */
export class DefaultTaskTemplate implements TaskTemplate {
  readonly #text: string;
  readonly #prefix: string;
  readonly #keyPattern: RegExp;
  /** The text cut once into fixed pieces and placeholders, so a render only fills them in. */
  readonly #parts: readonly TemplatePart[];
  readonly #placesPreamble: boolean;
  readonly #placesFeedback: boolean;

  constructor(options: TemplateOptions = {}) {
    this.#text = options.text ?? DEFAULT_TASK_TEXT;
    this.#prefix = options.branchPrefix ?? 'factory/';
    // A key is letters/digits, a dash and a number (ENG-123), as trackers write them.
    this.#keyPattern = /\b([A-Za-z][A-Za-z0-9]*-\d+)\b/;
    this.#parts = templateParts(this.#text);
    this.#placesPreamble = /\{\{\s*preamble\s*\}\}/.test(this.#text);
    this.#placesFeedback = /\{\{\s*feedback\s*\}\}/.test(this.#text);
  }

  render(item: WorkItem, route: RouteDecision, options: RenderOptions): string {
    const filled = new Map<string, string | undefined>();
    let preambleSaid = this.#placesPreamble;
    let task = '';
    // One pass over the template: a value is never scanned for placeholders, so item text cannot add any.
    const parts =
      this.#placesFeedback || !options.feedback
        ? this.#parts
        : [...this.#parts, '\n\n', { name: 'feedback', text: '{{feedback}}' }];
    for (const part of parts) {
      if (typeof part === 'string') {
        task += part;
        continue;
      }
      let value = filled.get(part.name);
      if (value === undefined && !filled.has(part.name)) {
        value = placeholderValue(part.name, item, route, options);
        filled.set(part.name, value);
      }
      if (value === undefined) task += part.text;
      else if (preambleSaid || !UNTRUSTED.has(part.name) || value === '') task += value;
      else {
        preambleSaid = true;
        task += `${untrustedPreamble}\n\n${value}`;
      }
    }
    return task;
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

/** A fixed piece of the template, or a placeholder (`text` is how it is written, kept when unknown). */
type TemplatePart = string | { name: string; text: string };

function templateParts(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let at = 0;
  for (const match of text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) {
    if (match.index > at) parts.push(text.slice(at, match.index));
    parts.push({ name: match[1] as string, text: match[0] });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

/** What a placeholder stands for; `undefined` for a name the template does not know (left as written). */
function placeholderValue(
  name: string,
  item: WorkItem,
  route: RouteDecision,
  options: RenderOptions,
): string | undefined {
  switch (name) {
    case 'item.key':
      return inlineName(item.key);
    case 'item.title':
      return dataBlock('Title (from the tracker)', item.title);
    case 'item.description':
      return dataBlock('Description (from the tracker)', item.description);
    case 'item.url':
      return dataBlock('Link to the work item (from the tracker)', item.source.url ?? '');
    case 'item.labels':
      return dataBlock('Labels (from the tracker)', item.labels.join(', '));
    case 'repository':
      return route.repository;
    case 'agent':
      return route.agent;
    case 'route':
      return route.name;
    case 'branch':
      return inlineName(options.branch);
    case 'attempt':
      return String(options.attempt);
    case 'question':
      return options.question ? questionBlock(options.question) : '';
    case 'answers':
      return answersSection(options);
    case 'feedback':
      return options.feedback ? feedbackSection(options.feedback.round, options.feedback.notes) : '';
    case 'preamble':
      return untrustedPreamble;
    default:
      return undefined;
  }
}

/** A `## Clarifications` section: the question asked, then one block per answer; empty without answers. */
function answersSection(options: RenderOptions): string {
  if (options.answers.length === 0) return '';
  const question = options.question ? questionBlock(options.question) : '';
  return `## Clarifications\n\n${[
    ...(question ? [question] : []),
    ...options.answers.map((answer, index) =>
      dataBlock(
        `Answer ${index + 1} (from the clarification thread)`,
        `From: ${answer.author}\n\n${answer.text}`,
      ),
    ),
  ].join('\n\n')}\n\n`;
}

/**
 * A `## Review feedback` section: what to do, in fixed words, then each piece of feedback as a data
 * block (a review's remarks with their file and line, a failed check's summary and link).
 */
function feedbackSection(round: number, notes: readonly FeedbackNote[]): string {
  const blocks = notes.map((note, index) => dataBlock(feedbackLabel(note, index + 1), feedbackText(note)));
  return `## Review feedback (round ${round})\n\nYour pull request on this branch got the feedback below. Address it on the same branch, push, and keep the pull request open; do not open another one.\n\n${blocks.join('\n\n')}\n\n`;
}

function feedbackLabel(note: FeedbackNote, n: number): string {
  switch (note.kind) {
    case 'review':
      return `Feedback ${n}: a review ${note.verdict === 'changes-requested' ? 'requesting changes' : 'with comments'} (from the code host)`;
    case 'comment':
      return `Feedback ${n}: a comment on the pull request (from the code host)`;
    case 'check-failed':
      return `Feedback ${n}: a failed check (from the code host)`;
  }
}

function feedbackText(note: FeedbackNote): string {
  switch (note.kind) {
    case 'review':
      return [
        `From: ${note.author.name ?? note.author.id}`,
        ...(note.body ? ['', note.body] : []),
        ...note.comments.map(
          (comment) =>
            `\n${comment.path ? `${comment.path}${comment.line !== undefined ? `:${comment.line}` : ''}: ` : ''}${comment.body}`,
        ),
      ].join('\n');
    case 'comment':
      return `From: ${note.author.name ?? note.author.id}\n\n${note.body}`;
    case 'check-failed':
      return [
        `Check: ${note.name}`,
        `Conclusion: ${note.conclusion}`,
        ...(note.summary ? ['', note.summary] : []),
        ...(note.url ? ['', `Details: ${note.url}`] : []),
      ].join('\n');
  }
}

function questionBlock(question: string): string {
  return dataBlock('The question the factory asked (it may quote the work item)', question);
}

/**
 * The key and the branch stand outside the blocks because the tracker and the factory make them
 * (ENG-123, factory/eng-123); any character neither would put there becomes `_`, so even a strange key
 * cannot carry text into the task.
 */
function inlineName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.#/:@+-]/g, '_');
}
