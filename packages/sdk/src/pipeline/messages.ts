import type { CommentMessage, OutputMessage, WorkItemRecord } from '../record.ts';

/** The words the factory writes on a work item, rendered from the record when the comment is posted. */
export function renderComment(message: CommentMessage, record: WorkItemRecord): string {
  switch (message.type) {
    case 'clarification-asked': {
      const where = record.clarification?.threadUrl
        ? ` Please answer in the thread: ${record.clarification.threadUrl}`
        : '';
      return `Before an agent starts on this, one question:\n\n> ${record.clarification?.question ?? ''}\n\n${where.trim()}`.trim();
    }
    case 'dispatched': {
      const route = record.route;
      const where = route ? ` (${route.agent}) in ${route.repository}` : '';
      return `An agent${where} is working on this on branch \`${record.dispatch?.branch ?? ''}\`.`;
    }
    case 'completed': {
      const output = record.output;
      if (!output) return 'Done.';
      return output.state === 'merged'
        ? `Done: ${output.url} was merged.`
        : `Done: ${output.url} is ready for review.`;
    }
    case 'retrying':
      return `The agent's attempt ${record.attempts} failed (${message.reason}). Trying again${
        record.retryAt ? ` after ${new Date(record.retryAt).toISOString()}` : ''
      }.`;
    case 'failed':
      return `The factory stopped working on this: ${message.reason}. Move it back to ready to try again.`;
    case 'blocked':
      return `Waiting for ${message.blockers.join(', ')} to be done before an agent starts on this.`;
    case 'gave-up-waiting':
      return 'Nobody answered the clarification question, so no agent was started. Move this back to ready to try again.';
    case 'cancelled':
      return `Stopped the agent: ${message.reason}.`;
    case 'feedback-exhausted':
      return `${rounds(message.rounds)} of review feedback went back to the agent and more came in, so the factory stopped here: a person takes it from here${
        record.feedback?.outputId ? ` on ${record.output?.url ?? record.feedback.outputId}` : ''
      }. Move this back to ready to start a new run.`;
  }
}

/** The words the factory writes on an output (a pull request): one comment per round start and end. */
export function renderOutputComment(message: OutputMessage, record: WorkItemRecord): string {
  const key = record.item.key;
  switch (message.type) {
    case 'feedback-round-started':
      return `Feedback round ${message.round} for ${key}: an agent is taking the feedback on this branch (${
        record.feedback?.given.length ?? 0
      } item${record.feedback?.given.length === 1 ? '' : 's'}).`;
    case 'feedback-round-finished':
      return `Feedback round ${message.round} for ${key} is finished: the agent has pushed its changes.`;
    case 'feedback-exhausted':
      return `${rounds(message.rounds)} of feedback for ${key} are done; the factory stops here and a person takes it from here.`;
  }
}

function rounds(count: number): string {
  return `${count} round${count === 1 ? '' : 's'}`;
}

export function clarificationAcknowledgement(): string {
  return 'Thanks, that is enough to start. An agent will pick this up.';
}

export function clarificationReminder(question: string): string {
  return `Reminder: an agent is waiting on this question before it can start.\n\n> ${question}`;
}

export function clarificationClosed(reason: string): string {
  return `Closing this question: ${reason}.`;
}
