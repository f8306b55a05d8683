import { clarificationChannelConformance, type OpenedWorkItemProvider } from '@software-factory/sdk/testing';
import { IssueCommentClarificationChannel } from '../../src/comments/clarification-channel.ts';
import { openGithubIssuesTracker, openJiraTracker, openLinearTracker } from '../support/tracker-worlds.ts';

/** The comments channel over a tracker's ready item: questions and replies are that item's comments. */
function overTracker(openTracker: () => Promise<OpenedWorkItemProvider>) {
  return async () => {
    const tracker = await openTracker();
    const item = await tracker.provider.getWorkItem(tracker.readyItem);
    if (!item) throw new Error(`the tracker should hold ${tracker.readyItem}`);
    return {
      channel: new IssueCommentClarificationChannel({ workItems: tracker.provider }),
      item,
      messages: tracker.comments,
      close: () => tracker.close?.() ?? Promise.resolve(),
    };
  };
}

// It writes through the intake with the intake's credential, and has no vendor of its own.
const claims = { ownCredential: false, ownVendor: false };

clarificationChannelConformance(
  'IssueCommentClarificationChannel over Linear',
  overTracker(openLinearTracker),
  claims,
);
clarificationChannelConformance(
  'IssueCommentClarificationChannel over Jira',
  overTracker(openJiraTracker),
  claims,
);
clarificationChannelConformance(
  'IssueCommentClarificationChannel over GitHub Issues',
  overTracker(openGithubIssuesTracker),
  claims,
);
