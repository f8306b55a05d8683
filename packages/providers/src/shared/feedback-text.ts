import * as z from 'zod/mini';

/**
 * What an output provider keeps of review feedback. Reviewers' words are untrusted text: the core puts
 * them in data blocks, and these bounds keep one review from filling an agent's task (or the record).
 */
export const FEEDBACK_LIMITS = {
  /** Remarks kept of one review; the rest are counted in the review's body. */
  comments: 20,
  /** Characters kept of one body, remark or summary. */
  text: 4_000,
  /** Characters kept of a name (a check, a job list). */
  name: 200,
} as const;

/** `text` cut to `max` characters with a marker saying how much was left out. */
export function boundText(text: string, max: number = FEEDBACK_LIMITS.text): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return `${cut}\n[… ${text.length - max} more characters not shown]`;
}

/** A word such as `/factory` that starts a comment addressed to the agent. */
export const commandPrefixSchema = z
  .string()
  .check(z.regex(/^\S{1,32}$/, 'expected one word of 1 to 32 characters without spaces, such as /factory'));

/**
 * Whether a comment is addressed to the agent: it starts with the command prefix (`/factory please add
 * a test`) or mentions one of the factory's logins (`@factory-bot`). A conversation between people is
 * not feedback, or every "LGTM" would start a round.
 */
export function addressedToAgent(text: string, prefix: string, logins: readonly string[]): boolean {
  const trimmed = text.trimStart();
  if (trimmed === prefix || trimmed.startsWith(`${prefix} `) || trimmed.startsWith(`${prefix}\n`))
    return true;
  const lower = text.toLowerCase();
  return logins.some((login) => mentions(lower, login.toLowerCase()));
}

/** `@login` as a whole mention: not `@login-two` nor `x@login.example`. */
function mentions(lower: string, login: string): boolean {
  const needle = `@${login}`;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
    const before = at === 0 ? '' : (lower[at - 1] as string);
    const after = lower[at + needle.length] ?? '';
    if (!/[\w.-]/.test(before) && !/[\w-]/.test(after)) return true;
  }
  return false;
}
